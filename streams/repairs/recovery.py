"""Table recovery that repositions the input partitions before it fetches them.

Faust 0.15's ``Recovery.on_recovery_completed`` resumes the stream
partitions and only then seeks them to their committed offsets. Flow was
already resumed to read the changelogs, so the fetcher starts delivering
stream records from wherever the client happened to stand, and the seek
lands in the middle of that delivery. The consumer's read-offset
bookkeeping then treats the records re-fetched after the seek as already
read and drops them, while part of the first delivery never reached the
agent: a contiguous block of the region log was skipped after a restart,
and the offset commit stalled in front of it. Reproduced by
``tests/chaos/sigkill_repro.py`` (529 applications lost in one run) and by
the chaos suite in CI (143 lost).

The fix is the order Faust itself uses elsewhere (its PR #217): seek every
partition to its committed offset while the stream partitions are still
paused, then resume them, so the first record any agent sees is the one
after the last commit. Everything else is Faust's method unchanged.
"""

from __future__ import annotations

import asyncio
from typing import Any

from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery

__all__ = ["SeekFirstRecovery", "SeekFirstTableManager"]


class SeekFirstRecovery(Recovery):
    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        app: Any = self.app
        consumer = app.consumer
        self.log.info("Restore complete!")
        await app.on_rebalance_complete.send()
        self._set_recovery_ended()
        callbacks = [
            asyncio.ensure_future(
                table.on_recovery_completed(self.actives_for_table[table], self.standbys_for_table[table])
            )
            for table in self.tables.values()
        ]
        if callbacks:
            await asyncio.wait(callbacks)
        assignment = consumer.assignment()
        if app.consumer_generation_id != generation_id:
            self.log.warning(
                "Recovery rebalancing again app id %s param %s", app.consumer_generation_id, generation_id
            )
            return
        if assignment:
            self.log.info("Seek stream partitions to committed offsets (still paused).")
            await self._wait(consumer.perform_seek(), timeout=app.conf.broker_request_timeout)
        self.log.info("Resume stream partitions")
        consumer.resume_partitions({tp for tp in assignment if not self._is_changelog_tp(tp)})
        self.completed.set()
        app.flow_control.resume()
        consumer.resume_flow()
        await app._fetcher.maybe_start()
        self.tables.on_actives_ready()
        if not app.assignor.assigned_standbys():
            self.tables.on_standbys_ready()
        app.on_rebalance_end()
        self.log.info("Worker ready")


class SeekFirstTableManager(TableManager):
    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = SeekFirstRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery
