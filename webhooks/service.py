"""``jaring webhooks``: reads the engine's outputs and delivers each sponsor's to its endpoint.

A consumer process of its own (group ``{namespace}-webhooks``), never part
of the matcher: an endpoint that hangs slows its own lane, nothing else.
Before each batch of events it reads the webhook topics to their end, so
an endpoint registered before an event was written is known when the event
is. An event is delivered when it names a sponsor with an endpoint and its
record was written at or after the registration (earlier ones: a replay).

``/healthz`` answers 200 once the webhook topics were read to their end and
the consumer runs; ``/metrics`` has the process's own registry. SIGTERM or
Ctrl-C stops it; what was in flight is delivered again after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable

import aiohttp
from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from infra.kafka_security import client_kwargs
from infra.log_throttle import install as throttle_kafka_errors
from infra.settings import Settings
from infra.topic_admin import TopicSpec, ensure_topics
from models.codec import decode, encode
from models.errors import DecodeError
from models.events import Event, WebhookAttempted, WebhookRegistered, WebhookRemoved
from models.topics import WEBHOOK_DELIVERIES, WEBHOOKS, route
from models.webhooks.book import WebhookBook
from models.webhooks.rules import DELIVERED, RetryPolicy, sponsor_of
from webhooks.deliverer import Deliverer, Delivery
from webhooks.replays import behind, carry_out, partitions_of
from webhooks.resolver import PublicResolver

__all__ = ["run", "serve"]

log = logging.getLogger("jaring.webhooks")

COMMIT_EVERY_S = 1.0


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.attempts = Counter(
            "jaring_webhook_attempts_total", "Delivery attempts by outcome (delivered, retrying, parked).",
            ["outcome"], registry=registry,
        )
        self.seconds = Histogram(
            "jaring_webhook_attempt_seconds", "How long an endpoint took to answer an attempt.",
            registry=registry, buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.waiting = Gauge("jaring_webhook_waiting", "Events waiting in the lanes.", registry=registry)
        self.endpoints = Gauge("jaring_webhook_endpoints", "Sponsors with an endpoint.", registry=registry)

    def attempted(self, a: WebhookAttempted, seconds: float) -> None:
        self.attempts.labels(a.outcome).inc()
        if a.status_code is not None or a.error == "timeout":
            self.seconds.observe(seconds)


class ControlReader:
    """The webhook topics, read to their end before each batch of events (group-less, from the start)."""

    def __init__(self, settings: Settings, book: WebhookBook, on_change: Callable[[str], None]) -> None:
        self._consumer = AIOKafkaConsumer(
            **client_kwargs(settings), client_id="jaring-webhooks-control", group_id=None,
            enable_auto_commit=False, auto_offset_reset="earliest", isolation_level="read_committed",
        )
        self._topics = [settings.topic(WEBHOOKS.name), settings.topic(WEBHOOK_DELIVERIES.name)]
        self._book = book
        self._on_change = on_change
        self._live = False
        """Once started, the delivery log is this process's own writing, folded as it writes it."""

    async def start(self) -> None:
        """Fold both topics to their end: endpoints, open requests, and the delivery log so far."""
        await self._consumer.start()
        parts = await partitions_of(self._consumer, self._topics)
        await self._consumer.seek_to_beginning(*parts)
        await self.sync()
        self._live = True

    async def sync(self) -> None:
        """Fold every record written to the webhook topics until now."""
        parts = sorted(self._consumer.assignment())
        ends = await self._consumer.end_offsets(parts)
        while await behind(self._consumer, ends):
            for tp, records in (await self._consumer.getmany(timeout_ms=200)).items():
                if self._live and tp.topic != self._topics[0]:
                    continue
                for r in records:
                    self.fold(r.value)

    def fold(self, raw: bytes | None) -> None:
        try:
            event = decode(raw)
        except DecodeError:
            return
        self._book.apply(event)
        if isinstance(event, WebhookRegistered | WebhookRemoved):
            self._on_change(event.sponsor_id)

    async def stop(self) -> None:
        await self._consumer.stop()


async def serve(settings: Settings, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
    key = settings.webhook_signing_key()
    if key is None:
        raise RuntimeError("webhooks_not_configured: set JARING_WEBHOOK_KEY (the API needs the same one)")
    metrics = Metrics(CollectorRegistry())
    ready = ready or asyncio.Event()
    runner = await _web(settings, metrics, ready)
    delivered = [settings.topic(t.name) for t in DELIVERED]
    await ensure_topics(settings, [
        TopicSpec.configured(settings, settings.topic(WEBHOOKS.name)),
        TopicSpec.configured(settings, settings.topic(WEBHOOK_DELIVERIES.name)),
        *(TopicSpec.configured(settings, name) for name in delivered),
    ], client_id="jaring-webhooks-topics")
    book = WebhookBook()
    producer = AIOKafkaProducer(**client_kwargs(settings), acks="all", enable_idempotence=True)
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(resolver=PublicResolver(allow_private=settings.webhook_allow_private_hosts)),
        timeout=aiohttp.ClientTimeout(total=settings.webhook_timeout_s),
    )

    async def record(event: Event) -> None:
        topic, record_key = route(event)
        await producer.send_and_wait(settings.topic(topic), encode(event), key=record_key)
        book.apply(event)

    deliverer = Deliverer(
        book, session, record, key,
        retry=RetryPolicy(settings.webhook_retry_first_s, settings.webhook_retry_max_s,
                          settings.webhook_retry_for_s),
        lane_max=settings.webhook_lane_max, on_attempt=metrics.attempted,
    )
    control = ControlReader(settings, book, deliverer.endpoint_changed)
    events = AIOKafkaConsumer(
        *delivered, **client_kwargs(settings), client_id="jaring-webhooks",
        group_id=f"{settings.namespace}-webhooks", enable_auto_commit=False, auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    replays: set[str] = set()
    tasks: list[asyncio.Task[None]] = []
    try:
        await producer.start()
        log.info("webhooks: reading the webhook topics")
        await control.start()
        log.info("webhooks: %d endpoints, %d open replay requests; joining group %s-webhooks",
                 len(book.endpoints), len(book.requests), settings.namespace)
        await events.start()
        ready.set()
        log.info("webhooks: delivering %s (namespace %s)", ", ".join(delivered), settings.namespace)
        committed = time.monotonic()
        while not stop.is_set():
            await control.sync()
            for request in book.open_requests():
                if request.event_id not in replays:
                    replays.add(request.event_id)
                    tasks.append(asyncio.create_task(carry_out(settings, deliverer, record, request)))
            batch = await events.getmany(timeout_ms=500)
            for tp, records in batch.items():
                for r in records:
                    await _take(deliverer, tp, r.offset, r.timestamp, r.value)
            metrics.waiting.set(deliverer.waiting())
            metrics.endpoints.set(len(book.endpoints))
            if time.monotonic() - committed >= COMMIT_EVERY_S:
                await _commit(events, deliverer)
                committed = time.monotonic()
        await _commit(events, deliverer)
    finally:
        for task in tasks:
            task.cancel()
        await deliverer.close()
        for closing in (events.stop(), control.stop(), producer.stop(), session.close(), runner.cleanup()):
            with contextlib.suppress(Exception):
                await closing


async def _take(
    deliverer: Deliverer, tp: TopicPartition, offset: int, timestamp_ms: int, raw: bytes | None
) -> None:
    where = (tp.topic, tp.partition)
    try:
        event = decode(raw)
    except DecodeError:
        deliverer.tracker.skip(where, offset)  # the engine dead-letters what does not decode
        return
    sponsor = sponsor_of(event)
    endpoint = None if sponsor is None else deliverer.book.endpoints.get(sponsor)
    if (
        sponsor is None or endpoint is None or timestamp_ms < endpoint.registered_at.timestamp() * 1000
        or not deliverer.first_time(sponsor, event.event_id)
    ):
        deliverer.tracker.skip(where, offset)
        return
    source = (tp.topic, tp.partition, offset)
    await deliverer.offer(Delivery(sponsor, event.event_id, event.type, raw or b"", source))


async def _commit(consumer: AIOKafkaConsumer, deliverer: Deliverer) -> None:
    offsets = {
        TopicPartition(topic, partition): OffsetAndMetadata(offset, "")
        for (topic, partition), offset in deliverer.tracker.committable().items()
    }
    if offsets:
        with contextlib.suppress(Exception):  # a rebalance in between: the next commit catches up
            await consumer.commit(offsets)


async def _web(settings: Settings, metrics: Metrics, ready: asyncio.Event) -> web.AppRunner:
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ready": ready.is_set()}, status=200 if ready.is_set() else 503)

    async def metrics_page(_: web.Request) -> web.Response:
        page = generate_latest(metrics.registry)
        return web.Response(body=page, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
    return runner


def run(settings: Settings) -> int:
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    throttle_kafka_errors(settings.kafka_log_summary_s)
    if settings.webhook_signing_key() is None:
        log.error("webhooks_not_configured: set JARING_WEBHOOK_KEY (the API needs the same one)")
        return 78

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, stop)

    asyncio.run(main())
    return 0
