"""Feeds the read model from the topics: read from the start, decode, fold.

A thin shell around ``api.readmodel``: no consumer group (every API process
reads everything and keeps its own read model; offsets are never
committed), ``read_committed``, and records that do not decode are skipped,
since the engine dead-letters them already.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from api.readmodel import ReadModel
from infra.kafka_security import client_kwargs
from infra.settings import Settings
from models.codec import decode
from models.errors import DecodeError

__all__ = ["LedgerFeed"]

log = logging.getLogger("jaring.api.feed")


class LedgerFeed:
    def __init__(self, settings: Settings, topics: list[str], model: ReadModel) -> None:
        self._settings = settings
        self._topics = topics
        self._model = model
        self._task: asyncio.Task[None] | None = None
        self.caught_up = False
        """True once every partition was read to the end offset seen at start."""

    def start(self, after: asyncio.Event) -> None:
        """Start reading once ``after`` is set (the topics exist)."""
        self._task = asyncio.get_running_loop().create_task(self._run(after))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, after: asyncio.Event) -> None:
        await after.wait()
        delay = 0.2
        while True:
            consumer = AIOKafkaConsumer(
                *self._topics,
                **client_kwargs(self._settings),
                client_id="jaring-api-feed",
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                isolation_level="read_committed",
                metadata_max_age_ms=5_000,
            )
            try:
                await consumer.start()
            except (KafkaError, OSError) as exc:
                log.warning("feed cannot reach Kafka (%s); retrying in %.1fs", type(exc).__name__, delay)
                with contextlib.suppress(Exception):
                    await consumer.stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            except BaseException:
                # Stopped while connecting (the API shutting down soon after it started): close
                # the half-started consumer, or its connections outlive the event loop.
                with contextlib.suppress(Exception):
                    await consumer.stop()
                raise
            try:
                await self._consume(consumer)
            finally:
                await consumer.stop()

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        ends: dict[object, int] | None = None
        while True:
            batch = await consumer.getmany(timeout_ms=500, max_records=5_000)
            for messages in batch.values():
                for message in messages:
                    with contextlib.suppress(DecodeError):
                        self._model.apply(decode(message.value or b""))
            if not self.caught_up:
                assigned = list(consumer.assignment())
                if assigned:
                    ends = ends or await consumer.end_offsets(assigned)
                    positions = [await consumer.position(tp) for tp in ends]
                    self.caught_up = all(at >= end for at, end in zip(positions, ends.values(), strict=True))
