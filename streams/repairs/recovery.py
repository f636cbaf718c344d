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

``SeekFirstRecovery`` also reads the active changelog partitions in bulk
before Faust's own recovery would (``streams.repairs.restore``): its
``_build_offsets`` for the actives, which Faust calls after it has built
the highwaters and before it seeks, lets Faust compute where each partition
starts; the step that ran it then applies everything up to the highwater
and moves Faust's read offsets to the last record applied. Faust's recovery
then finds nothing left to read, or reads only what the bulk read left (a
rebalance, a stalled broker, a record that does not decode).

The read is a step of its own, after ``_build_offsets`` and outside its
timeout: Faust gives each recovery step its ``broker_request_timeout``
(90 s) and ends recovery when one outlives it, while a regency of a
million covered workers has some 3 million changelog records to read. Its
bound is progress, not length: it ends once the broker has sent nothing
for half that timeout, and, as every step does, on a rebalance or a stop.
Standby partitions (Faust's default
of one standby replica, kept by Jaring) keep Faust's path: Faust reads them in
the background once the actives are restored, so they do not hold back
readiness.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any, cast

from faust.tables.manager import TableManager
from faust.tables.recovery import Recovery
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth, server_list
from faust.types import TP
from faust.types.transports import ConsumerT

from streams.repairs.restore import Restored, Target, restore

__all__ = ["SeekFirstRecovery", "SeekFirstTableManager", "observe_restores"]


class SeekFirstRecovery(Recovery):
    _bulk_read: tuple[set[TP], Counter[TP]] | None = None
    """The active partitions whose offsets the step just built: read in bulk by ``_wait`` next."""

    async def _build_offsets(
        self, consumer: ConsumerT, tps: set[TP], destination: Counter[TP], title: str
    ) -> None:
        await super()._build_offsets(consumer, tps, destination, title)
        if title == "active" and destination is self.active_offsets:
            self._bulk_read = (tps, destination)

    async def _wait(self, coro: Any, timeout: Any = None) -> None:
        """Faust's step under its timeout; after the step that built the active offsets, the bulk read.

        The read waits as any step does (a rebalance raises ``RebalanceAgain``,
        a stop ``ServiceStopped``) but without the step's timeout.
        """
        self._take_bulk_read()
        await super()._wait(coro, timeout=timeout)
        if (bulk := self._take_bulk_read()) is not None:
            await super()._wait(self._restore_in_bulk(*bulk))

    def _take_bulk_read(self) -> tuple[set[TP], Counter[TP]] | None:
        bulk, self._bulk_read = self._bulk_read, None
        return bulk

    async def _restore_in_bulk(self, tps: set[TP], offsets: Counter[TP]) -> None:
        """Read the active changelog partitions to their highwaters and move ``offsets`` past them."""
        app: Any = self.app
        if app.in_transaction:  # exactly-once: Faust's path, which reads committed records only
            return
        targets = {
            tp: Target(table, offsets[tp], self.active_highwaters[tp])
            for tp in tps
            if (table := self.tp_to_table.get(tp)) is not None
            # a table that watches each changelog event keeps Faust's path
            and cast(Any, table)._on_changelog_event is None
            and self.active_highwaters.get(tp) is not None and offsets.get(tp) is not None
        }
        if not targets:
            return
        generation = app.consumer_generation_id
        conf = app.conf
        transport = app.transport
        kwargs = {
            "client_id": conf.broker_client_id,
            "bootstrap_servers": server_list(transport.url, transport.default_port),
            "request_timeout_ms": int(conf.broker_request_timeout * 1000.0),
            "check_crcs": conf.broker_check_crcs,
            **credentials_to_aiokafka_auth(conf.broker_credentials, conf.ssl_context),
        }

        def proceed() -> bool:
            return (not self.signal_recovery_start.is_set() and not self.should_stop
                    and app.consumer_generation_id == generation)

        def applied(tp: TP, offset: int) -> None:
            offsets[tp] = offset

        restored = await restore(app, kwargs, targets, applied=applied, proceed=proceed,
                                 stall_s=conf.broker_request_timeout / 2)
        if not restored.partitions:  # nothing was read: no restore to time
            return
        observer = getattr(self.tables, "on_restored", None)  # SeekFirstTableManager's
        if observer is not None:
            observer(restored)

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
    on_restored: Callable[[Restored], None] | None = None
    """Told what each bulk read of its recovery applied (the worker's metrics). Faust builds the
    manager from a setting, without arguments, so the worker sets it after."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = SeekFirstRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery


def observe_restores(app: Any, observer: Callable[[Restored], None]) -> None:
    """Have ``observer`` told what each bulk read of ``app``'s table recovery applied."""
    tables = app.tables
    if not isinstance(tables, SeekFirstTableManager):
        raise TypeError(f"the app's TableManager is {type(tables).__name__}, not SeekFirstTableManager")
    tables.on_restored = observer
