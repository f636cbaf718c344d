"""The consumer thread never lets aiokafka read an empty partition set as "all of them".

It also builds aiokafka's consumer with the configured fetch wait.

``tests/integration/test_input_gap.py`` shows the effect against a real
broker; this pins the rule itself without one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from faust.types import TP

from infra.settings import Settings
from streams.app import create_app
from streams.repairs.consumer import _ActiveOnlyThread

LOG = TP("t.region-log.v1", 2)


class FakeAiokafka:
    """Just what Faust's ``_fetch_records`` touches on an aiokafka consumer."""

    def __init__(self) -> None:
        self._closed = False
        self.asked: list[Any] = []
        self._fetcher = SimpleNamespace(_closed=False, _subscriptions=self, fetched_records=self._fetched)

    @contextlib.contextmanager
    def fetch_context(self) -> Iterator[None]:
        yield

    async def _fetched(self, partitions: Any, timeout: float | None = None,
                       max_records: int | None = None) -> Any:
        self.asked.append(partitions)
        return {tp: ["record"] for tp in partitions}


def _thread() -> _ActiveOnlyThread:
    thread = object.__new__(_ActiveOnlyThread)  # no client thread: only the fetch rule is under test
    thread.__dict__["consumer"] = SimpleNamespace(flow_active=True)
    return thread


async def test_no_active_partition_takes_no_record() -> None:
    aiokafka = FakeAiokafka()
    assert await _thread()._fetch_records(aiokafka, set(), timeout=1.0, max_records=10) == {}
    assert aiokafka.asked == []


async def test_active_partitions_are_asked_for_as_a_snapshot() -> None:
    aiokafka, active = FakeAiokafka(), {LOG}
    assert await _thread()._fetch_records(aiokafka, active, timeout=1.0, max_records=10) == {LOG: ["record"]}
    (asked,) = aiokafka.asked
    assert asked == {LOG} and asked is not active  # Faust changes its set on another thread


async def test_the_worker_consumer_fetches_with_the_configured_wait() -> None:
    """Faust builds it with a 1.5 s wait: a fetch for idle partitions then holds up the busy ones."""
    app = create_app(Settings(kafka_bootstrap="127.0.0.1:1", fetch_max_wait_ms=40))
    thread = app.consumer._thread
    consumer = thread._create_worker_consumer(app.transport)  # as the worker builds it
    try:
        assert consumer._fetch_max_wait_ms == 40  # what aiokafka's fetcher is built with at start
        assert Settings(kafka_bootstrap="127.0.0.1:1").fetch_max_wait_ms == 100
    finally:
        await consumer.stop()
        thread.thread_loop.close()  # never started: the thread's own loop is all it opened
