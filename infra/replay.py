"""Read topics from the beginning and fold every event: the API's and the dashboard's one reader.

A read model that any number of processes keep, each for itself, is a fold
of the topics from their first record: no consumer group (every reader reads
everything), nothing committed, ``read_committed`` (what a producer aborted
never counted). The reader is *caught up* once every partition that existed
when it first connected has been read to the end offset it had then; a
process answers "ready" from that moment, so it never shows a half-rebuilt
view. Topics that do not exist yet hold nothing to catch up on: they are
read from their first record once they appear.

A record that does not decode is skipped: the engine dead-letters it already
(with its reason and bytes), and one bad record must not blind a read model.
It is counted by reason, and the first of each reason is logged with its
topic, partition and offset, never its content (output records carry no NIK,
but a broken one is not known to be an output record).

The connection is retried with a doubling backoff, and a reconnected reader
goes on from the records it already folded: a fold sees each offset once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from infra.kafka_security import client_kwargs
from infra.settings import Settings
from models.codec import decode
from models.errors import DecodeError
from models.events import Event

__all__ = ["Backoff", "Fold", "ReplayReader"]

log = logging.getLogger("jaring.replay")

Fold = Callable[[str, Event], object]
"""Called with each decoded event and the topic it was read from; what it returns is ignored."""


@dataclass(frozen=True)
class Backoff:
    """Seconds between connection attempts: ``first``, doubling up to ``most``."""

    first: float = 0.2
    most: float = 5.0


TOPICS_POLL_S = 2.0
"""How often a reader waiting for topics that do not exist yet looks for them again."""


class ReplayReader:
    """One group-less consumer feeding one fold, from the first record of ``topics`` on."""

    def __init__(
        self,
        settings: Settings,
        topics: Sequence[str],
        fold: Fold,
        *,
        client_id: str,
        on_unreadable: Callable[[str], object] | None = None,
        backoff: Backoff = Backoff(),
    ) -> None:
        self._settings = settings
        self._topics = list(topics)
        self._fold = fold
        self._client_id = client_id
        self._on_unreadable = on_unreadable
        self._backoff = backoff
        self._next: dict[TopicPartition, int] = {}
        """Per partition read so far, the offset to read next: records below it were folded already."""
        self._ends: dict[TopicPartition, int] | None = None
        """The end offsets when the reader first had partitions: what "caught up" means."""
        self.caught_up = asyncio.Event()
        """Set once every partition of ``_ends`` was read to its end; never cleared."""
        self.unreadable: Counter[str] = Counter()
        """Records skipped because they did not decode, by reason code."""
        self.folded = 0
        """Records decoded and folded."""
        self._told_missing = False

    async def run(self) -> None:
        """Read until cancelled, reconnecting with backoff when Kafka cannot be reached."""
        delay = self._backoff.first
        while True:
            consumer = AIOKafkaConsumer(
                **client_kwargs(self._settings),
                client_id=self._client_id,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                isolation_level="read_committed",
                max_poll_records=5_000,
                metadata_max_age_ms=5_000,
            )
            connected = time.monotonic()
            try:
                await consumer.start()
                connected = time.monotonic()
                await self._read(consumer)
            except (KafkaError, OSError) as exc:
                if time.monotonic() - connected > self._backoff.most:
                    delay = self._backoff.first  # it worked for a while: a new outage starts over
                log.warning("replay of %s cannot reach Kafka (%s); retrying in %.1fs",
                            ", ".join(self._topics), type(exc).__name__, delay)
            finally:
                # Also when cancelled while connecting: a half-started consumer's
                # connections would outlive the event loop.
                with contextlib.suppress(Exception):
                    await consumer.stop()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff.most)

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        subscribed: set[str] = set()
        assignment: set[TopicPartition] = set()
        looked = -TOPICS_POLL_S
        while True:
            if len(subscribed) < len(self._topics) and time.monotonic() - looked >= TOPICS_POLL_S:
                looked = time.monotonic()
                subscribed = await self._subscribe(consumer, subscribed)
            if not subscribed:
                self._mark_caught_up_if(self._ends == {})
                await asyncio.sleep(TOPICS_POLL_S)
                continue
            batch = await consumer.getmany(timeout_ms=500)
            for tp, messages in batch.items():
                for message in messages:
                    if message.offset >= self._next.get(tp, 0):  # below: folded before a reconnect
                        self._take(tp, message.offset, message.value)
                        self._next[tp] = message.offset + 1
            if consumer.assignment() != assignment:
                # A new assignment starts each partition at its beginning: skip what was folded.
                assignment = set(consumer.assignment())
                for tp in assignment & self._next.keys():
                    consumer.seek(tp, self._next[tp])
                if self._ends is None and assignment:
                    self._ends = await consumer.end_offsets(sorted(assignment))
            if not self.caught_up.is_set() and self._ends is not None:
                self._mark_caught_up_if(await self._reached(consumer, assignment, self._ends))

    async def _subscribe(self, consumer: AIOKafkaConsumer, subscribed: set[str]) -> set[str]:
        """Subscribe to those of the topics that exist: aiokafka fails on a topic that does not."""
        existing = set(self._topics) & set(await consumer.topics())
        if existing != subscribed and existing:
            consumer.subscribe(sorted(existing))
        missing = [t for t in self._topics if t not in existing]
        if missing and not self._told_missing:
            log.info("topics %s do not exist yet: reading them once they do", ", ".join(missing))
            self._told_missing = True
        if self._ends is None and not existing:
            self._ends = {}  # nothing existed to catch up on
        return existing

    def _mark_caught_up_if(self, reached: bool) -> None:
        if reached and not self.caught_up.is_set():
            self.caught_up.set()

    async def _reached(
        self, consumer: AIOKafkaConsumer, assignment: set[TopicPartition], ends: dict[TopicPartition, int]
    ) -> bool:
        """Every partition read to its end offset at start (past control records: the consumer's position)."""
        for tp, end in ends.items():
            at = await consumer.position(tp) if tp in assignment else self._next.get(tp, 0)
            if at < end:
                return False
        return True

    def _take(self, tp: TopicPartition, offset: int, raw: bytes | None) -> None:
        try:
            event = decode(raw)
        except DecodeError as exc:
            self.unreadable[exc.code] += 1
            if self.unreadable[exc.code] == 1:
                log.warning("skipped a record that does not decode (%s) at %s[%d]@%d; the engine "
                            "dead-letters such records, later ones for the same reason are only counted",
                            exc.code, tp.topic, tp.partition, offset)
            if self._on_unreadable is not None:
                self._on_unreadable(exc.code)
            return
        self.folded += 1
        self._fold(tp.topic, event)
