"""The API's only way to Kafka: produce one record and wait until the broker has it.

A 202 means every in-sync replica holds the record (``acks=all``, with
idempotence so an internal retry cannot write it twice). When the broker
does not acknowledge within ``JARING_API_PRODUCE_TIMEOUT_S``, the caller
answers 503 and the client retries with the same Idempotency-Key. The
producer is then aborted, its queued records dropped rather than sent when
the broker returns (a sponsor told 503 who does not retry must not find a
pledge made anyway), and a fresh one connects (a fresh producer id also
restarts the idempotence sequence the dropped batch leaves with a gap). If the broker did get the record but
its answer was lost, the retry carries the same event id and the engine
drops it as a replay: a 503 may hide a record, a 202 never hides a loss.

The producer connects in the background with a backoff, so the API starts
(and answers 503 and ``/readyz`` not ready) while Kafka is still away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, KafkaTimeoutError

from infra.kafka_security import client_kwargs
from infra.settings import Settings
from infra.topic_admin import TopicCreateError, TopicSpec, ensure_topics
from streams.repairs.producer_abort import abort  # aiokafka only; see its docstring

__all__ = ["KafkaUnavailableError", "Publisher"]

log = logging.getLogger("jaring.api.publisher")


class KafkaUnavailableError(Exception):
    """The broker did not acknowledge the record (or is not connected yet)."""


class Publisher:
    def __init__(self, settings: Settings, topics: list[str]) -> None:
        self._settings = settings
        self._topics = topics
        self._producer: AIOKafkaProducer | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self.topics_ready = asyncio.Event()
        """Set once the topics exist: readers subscribing earlier would wait out a metadata refresh."""

    @property
    def connected(self) -> bool:
        return self._producer is not None

    def start(self) -> None:
        """Begin connecting in the background; returns at once."""
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.get_running_loop().create_task(self._connect())

    async def wait_connected(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while not self.connected:
                    await asyncio.sleep(0.05)
        return self.connected

    async def publish(self, topic: str, key: bytes, value: bytes) -> None:
        """Return once the broker has the record; ``KafkaUnavailableError`` otherwise."""
        producer = self._producer
        if producer is None:
            raise KafkaUnavailableError("not connected to Kafka yet")
        try:
            async with asyncio.timeout(self._settings.api_produce_timeout_s):
                delivery = await producer.send(topic, value=value, key=key)
                # Read its outcome even when nobody waits any more (timeout, abort).
                delivery.add_done_callback(lambda f: f.cancelled() or f.exception())
                await delivery
        except (KafkaError, TimeoutError, OSError) as exc:
            log.warning("produce to %s failed (%s); reconnecting", topic, type(exc).__name__)
            self._replace(producer)
            raise KafkaUnavailableError(type(exc).__name__) from exc

    async def healthy(self, timeout: float = 2.0) -> bool:
        """Connected, and the cluster answers a metadata request now."""
        producer = self._producer
        if producer is None:
            return False
        try:
            async with asyncio.timeout(timeout):
                return bool(await producer.client.force_metadata_update())
        except (KafkaError, TimeoutError, OSError):
            return False

    async def stop(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        producer, self._producer = self._producer, None
        if producer is not None:
            await self._close(producer)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _replace(self, failed: AIOKafkaProducer) -> None:
        if self._producer is not failed:
            return  # another request already replaced it
        self._producer = None
        task = asyncio.get_running_loop().create_task(self._abort(failed))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        self.start()

    async def _abort(self, producer: AIOKafkaProducer) -> None:
        """Drop what is queued, then close: ``stop()`` alone would deliver it once the broker is back."""
        with contextlib.suppress(Exception):
            await abort(producer, KafkaTimeoutError())
        await self._close(producer)

    async def _close(self, producer: AIOKafkaProducer) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._settings.api_produce_timeout_s + 1):
                await producer.stop()

    async def _connect(self) -> None:
        delay = 0.2
        while True:
            producer = AIOKafkaProducer(
                **client_kwargs(self._settings),
                client_id="jaring-api",
                acks="all",
                enable_idempotence=True,
                request_timeout_ms=int(self._settings.api_produce_timeout_s * 1000),
                retry_backoff_ms=100,
            )
            try:
                await producer.start()
                specs = [TopicSpec.configured(self._settings, name) for name in self._topics]
                await ensure_topics(self._settings, specs, client_id="jaring-api-admin")
            except (KafkaError, OSError, TopicCreateError) as exc:
                await self._close(producer)
                log.warning("Kafka at %s not reachable (%s); retrying in %.1fs",
                            self._settings.kafka_bootstrap, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            except BaseException:
                await self._close(producer)  # stopped while connecting: close what was opened
                raise
            self._producer = producer
            self.topics_ready.set()
            log.info("connected to Kafka at %s", self._settings.kafka_bootstrap)
            return
