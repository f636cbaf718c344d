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
