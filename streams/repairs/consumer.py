"""A Faust consumer that never consumes a record it is about to throw away.

Faust asks aiokafka for the records of its *active* partitions, passing
its live set of them to the consumer thread. aiokafka's
``fetched_records`` reads an empty set as "every partition", and while a
worker finishes table recovery the set is briefly empty (the changelogs are
paused, the inputs not yet resumed). aiokafka then hands over, and moves
its position past, records of paused input partitions, which Faust drops
because they are not active. Seen in a worker log: the record at the
committed offset was fetched, consumed in that window, and the partition
was then fetched from the next offset, so it was never processed
(``tests/integration/test_input_gap.py`` stalled on it one run in four).

Here the thread takes a snapshot of the set and asks for nothing when it
is empty; the records stay buffered until their partition is resumed.

Faust also builds the consumer with a 1.5 s ``fetch_max_wait_ms``, and
aiokafka keeps one fetch in flight per broker. A fetch sent while the busy
partitions' records were still buffered asks only for the idle ones, so the
broker holds it for the whole wait; the busy partitions, drained meanwhile,
cannot be fetched until it returns. Benchmark (c) showed the worker and the
broker both idle for a second every few seconds. The wait is
``JARING_FETCH_MAX_WAIT_MS`` here (100 ms by default).

The consumer also delivers each record without four asyncio tasks when its
delivery does not wait (``streams/repairs/delivery.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Set
from typing import Any, ClassVar, cast

from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer, Transport
from faust.types import TP
from mode.services import WaitArgT, WaitResults
from mode.utils.times import Seconds

from streams.repairs.delivery import Delivered, first_step

__all__ = ["ActiveOnlyTransport"]


class _ActiveOnlyThread(AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # Read by aiokafka when the consumer starts (it builds its fetcher then).
        consumer._fetch_max_wait_ms = cast(Any, self.app).settings.fetch_max_wait_ms  # a JaringApp
        return consumer

    async def _fetch_records(
        self,
        consumer: Any,
        active_partitions: Set[TP],
        timeout: float | None = None,
        max_records: int | None = None,
    ) -> Any:
        partitions = set(active_partitions)  # the caller's set changes on another thread
        if not partitions:
            return {}
        return await super()._fetch_records(consumer, partitions, timeout=timeout, max_records=max_records)


class _ActiveOnlyConsumer(Consumer):
    def _new_consumer_thread(self) -> AIOKafkaConsumerThread:
        return _ActiveOnlyThread(self, loop=self.loop, beacon=self.beacon)

    async def wait_first(self, *coros: WaitArgT, timeout: Seconds | None = None) -> WaitResults:
        """Faust's per-record ``wait_first(deliver, suspend_flow.wait())``, tasks only if it waits."""
        if timeout is not None:
            return await super().wait_first(*coros, timeout=timeout)
        if not self._is_delivery(coros) or self.suspend_flow.is_set() or self.should_stop:
            return await super().wait_first(*coros)
        deliver, suspended = coros
        try:
            step = first_step(self.loop, deliver)  # type: ignore[arg-type]
        except BaseException:
            suspended.close()  # type: ignore[union-attr]
            raise
        if isinstance(step, Delivered):
            suspended.close()  # type: ignore[union-attr]
            return WaitResults([deliver], [step.value], False)
        return await super().wait_first(step.task, suspended)

    @staticmethod
    def _is_delivery(coros: tuple[WaitArgT, ...]) -> bool:
        return (
            len(coros) == 2
            and all(asyncio.iscoroutine(c) for c in coros)
            and getattr(coros[1], "cr_code", None) is asyncio.Event.wait.__code__
        )


class ActiveOnlyTransport(Transport):
    Consumer: ClassVar[Any] = _ActiveOnlyConsumer
