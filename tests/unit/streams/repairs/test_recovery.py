"""After table recovery, the input partitions are positioned before they are fetched.

Faust resumed them first and sought second, while its fetcher was already
running for the changelogs: records fetched in between confused its
read-offset bookkeeping, and a block of the region log was skipped after a
restart (``streams.repairs.recovery``). No broker here: the order of the calls is the
behaviour under test, and it is Faust's, not Kafka's.
"""

from __future__ import annotations

import asyncio

import faust
import pytest
from faust.tables.recovery import RebalanceAgain
from faust.types import TP

from streams.repairs.recovery import SeekFirstRecovery, SeekFirstTableManager

STREAM = TP("t.region-log.v1", 0)


async def test_stream_partitions_are_sought_while_paused_and_resumed_after() -> None:
    app = faust.App("order-test", broker="kafka://127.0.0.1:9", TableManager=SeekFirstTableManager,
                    loop=asyncio.get_running_loop())
    recovery = app.tables.recovery
    assert isinstance(recovery, SeekFirstRecovery)
    calls: list[str] = []

    class Consumer:
        """Records the calls recovery makes; a real one would start a client thread."""

        def assignment(self) -> set[TP]:
            return {STREAM}

        async def perform_seek(self) -> None:
            calls.append("seek")

        def resume_partitions(self, tps: set[TP]) -> None:
            calls.append(f"resume {sorted(tp.topic for tp in tps)}")

        def resume_flow(self) -> None:
            calls.append("flow")

    class Fetcher:
        async def maybe_start(self) -> None:
            calls.append("fetch")

    app._consumer = Consumer()  # type: ignore[assignment]
    app.__dict__["_fetcher"] = Fetcher()
    app.on_rebalance_end = lambda: None  # type: ignore[method-assign]

    await recovery.on_recovery_completed(generation_id=app.consumer_generation_id)

    assert calls == ["seek", "resume ['t.region-log.v1']", "flow", "fetch"]
    assert recovery.completed.is_set()


CHANGELOG = TP("t-region-state-changelog", 0)


class Changelogs:
    """What Faust's ``_build_offsets`` asks of the consumer: where each changelog partition starts."""

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return {tp: 0 for tp in tps}


def recovery_with_a_slow_read(monkeypatch: pytest.MonkeyPatch, read: asyncio.Event,
                              reads: list[set[TP]]) -> SeekFirstRecovery:
    """A real ``SeekFirstRecovery`` whose bulk read lasts until ``read`` is set."""

    async def slow_read(self: SeekFirstRecovery, tps: set[TP], offsets: object) -> None:
        await read.wait()
        reads.append(tps)

    monkeypatch.setattr(SeekFirstRecovery, "_restore_in_bulk", slow_read)
    app = faust.App("bulk-step-test", broker="kafka://127.0.0.1:9", TableManager=SeekFirstTableManager,
                    loop=asyncio.get_running_loop())
    recovery = app.tables.recovery
    assert isinstance(recovery, SeekFirstRecovery)
    return recovery


async def test_the_bulk_read_outlives_the_timeout_faust_gives_the_step_before_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Faust ends recovery when a step outlives ``broker_request_timeout``; a regency's read may."""
    read, reads = asyncio.Event(), []
    recovery = recovery_with_a_slow_read(monkeypatch, read, reads)
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, read.set)  # the read lasts six times the step's timeout

    await recovery._wait(recovery._build_offsets(Changelogs(), {CHANGELOG}, recovery.active_offsets,  # type: ignore[arg-type]
                                                 "active"), timeout=0.05)

    assert reads == [{CHANGELOG}]


async def test_a_rebalance_still_ends_the_bulk_read_and_standbys_are_not_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read, reads = asyncio.Event(), []
    recovery = recovery_with_a_slow_read(monkeypatch, read, reads)
    await recovery._wait(recovery._build_offsets(Changelogs(), {CHANGELOG}, recovery.standby_offsets,  # type: ignore[arg-type]
                                                 "standby"), timeout=0.05)
    assert reads == []  # Faust reads standbys in the background

    asyncio.get_running_loop().call_later(0.05, recovery.signal_recovery_start.set)
    with pytest.raises(RebalanceAgain):
        await recovery._wait(recovery._build_offsets(Changelogs(), {CHANGELOG}, recovery.active_offsets,  # type: ignore[arg-type]
                                                     "active"), timeout=5.0)
    assert reads == []
