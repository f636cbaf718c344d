"""Follows the four output topics from the beginning and folds each record into the read model.

No consumer group and no committed offsets: the view lives in memory and is
rebuilt from the topics at every start, so every dashboard instance reads
everything and a restart loses nothing. ``ready`` is set once the records
that existed at start have been folded, so a fresh page never shows a
half-rebuilt city. A record that does not decode is counted and logged by
position and reason code, never by content, and the fold goes on: one bad
record must not blind the city.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from dashboard.metrics import DashboardMetrics
from dashboard.read_model import CityView
from infra.kafka_security import client_kwargs
from infra.settings import Settings
from models.codec import decode
from models.errors import DecodeError

__all__ = ["TOPICS", "Follower"]

TOPICS = ("application-status.v1", "coverage.v1", "pledge-status.v1", "funding.v1")
"""What the dashboard reads: the engine's outputs, without the dead letters (they may hold personal data)."""

_TOPICS_POLL_S = 2.0
"""How often to look for the topics when no worker has created them yet."""

log = logging.getLogger("jaring.dashboard")


class Follower:
    """One group-less consumer feeding one ``CityView``."""

    def __init__(self, settings: Settings, view: CityView, metrics: DashboardMetrics | None = None) -> None:
        self.settings = settings
        self.view = view
        self.metrics = metrics
        self.ready = asyncio.Event()
        self.unreadable = 0

    async def run(self) -> None:
        """Read until cancelled."""
        consumer = AIOKafkaConsumer(
            **client_kwargs(self.settings),
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            isolation_level="read_committed",
            max_poll_records=5000,
        )
        await consumer.start()
        targets: dict[TopicPartition, int] | None = None
        try:
            await self._await_topics(consumer)
            consumer.subscribe([self.settings.topic(t) for t in TOPICS])
            while True:
                batch = await consumer.getmany(timeout_ms=500)
                for tp, messages in batch.items():
                    for message in messages:
                        self._fold(tp, message.offset, message.value or b"")
                if self.ready.is_set():
                    continue
                assigned = consumer.assignment()
                if targets is None and assigned:
                    targets = await consumer.end_offsets(list(assigned))
                if targets is not None:
                    positions = {tp: await consumer.position(tp) for tp in targets}
                    if all(positions[tp] >= end for tp, end in targets.items()):
                        self._declare_ready()
        finally:
            await consumer.stop()

    async def _await_topics(self, consumer: AIOKafkaConsumer) -> None:
        """Subscribing to topics that do not exist yet makes aiokafka fail; the engine creates them.

        Until then the city is empty, and an empty city is fully rebuilt: ready.
        """
        wanted = {self.settings.topic(t) for t in TOPICS}
        while not wanted <= await consumer.topics():
            if not self.ready.is_set():
                log.info("no output topics in namespace %r yet: waiting for a worker to create them",
                         self.settings.namespace)
                self._declare_ready()
            await asyncio.sleep(_TOPICS_POLL_S)

    def _fold(self, tp: TopicPartition, offset: int, raw: bytes) -> None:
        try:
            event = decode(raw)
        except DecodeError as exc:
            self.unreadable += 1
            if self.metrics is not None:
                self.metrics.unreadable.inc()
            log.warning("skipped unreadable record %s[%d]@%d: %s", tp.topic, tp.partition, offset, exc.code)
            return
        self.view.apply(event)
        if self.metrics is not None:
            self.metrics.events.labels(tp.topic).inc()

    def _declare_ready(self) -> None:
        self.ready.set()
        if self.metrics is not None:
            self.metrics.ready.set(1)
        log.info("read model rebuilt: %d distinct events, %d unreadable", self.view.events, self.unreadable)
