"""Region state in one changelog-backed Faust table, written so a crash never splits a step.

Why one table: every write of a region lands in one changelog partition,
and an idempotent producer lands a partition's records as an ordered prefix
of what was sent. A step (one input event) may change many records (a tick
pays every active term), and without a transaction a SIGKILL can land some
of them and not others: a worker marked covered by a pledge whose filled
seat count was never written would let that seat be sold twice.

So each step is written as a journal first: chunks holding every upsert,
then a head naming the step and its chunk count, then the records
themselves. On recovery, a head that landed means all of its chunks landed
(they precede it): re-applying them completes any records the crash cut
off. A head that did not land means no record of that step landed either
(they follow it), and the event, never committed, is replayed.

The store applies a write to the table's local data and returns the
records in the order the changelog must receive them; the caller sends
them, in that order, to the region's one changelog partition
(``streams.repairs.changelog``). A journal completed on restore is sent ahead of
the region's next write: its records land before any chunk of a later
step, which is what lets a later chunk prove the earlier step complete.

Outputs are acknowledged by the broker before any of this is written (see
``streams.matching``), so a replayed step may repeat an output, with the
same deterministic id, but never lose one.

Keys: ``{region}|c`` clock, ``{region}|w|{pseudonym}`` workers,
``{region}|p|{sponsor}:{pledge}`` pledges (``models.events.pledge_key``: a
pledge id is unique per sponsor only), ``{region}|t|{coverage id}`` ended
terms still owing bill lines (None once they owe nothing: dropped on
restore), ``{region}|b|{bill id}`` bills, ``{region}|y|{payment id}``
payments, ``{region}|f|{refund id}`` refunds, ``{region}|a|{payer id}`` payer
accounts, ``{region}|s|{event id}`` handled-and-rejected markers,
``{region}|m|{sponsor or *}|{YYYY-MM}`` monthly series
points and ``{region}|l|{sponsor or *}`` their running levels (the
dashboard fold, ``models.ledger.Dashboard``, persisted with the step that
moved it), ``{region}|j|{n}`` journal chunks, ``{region}|J`` head. No key
or value holds a NIK or a name.

Values are JSON bytes, in the table as on the changelog: a region of a
million workers holds a million records in memory, and bytes take a third
of the dicts they encode. Each is a bytes object of its own size
(pydantic's ``to_json``, or ``models.codec.dumps``, which copies orjson's
out of the 4 KiB buffer it wrote in). A step's journal chunks are dropped
(tombstoned) once a later, smaller step's head has landed past them, so a
million-record step leaves no second copy of itself behind.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic_core import to_json

from models.codec import dumps, embedded, loads
from models.eligibility import CityPolicy
from models.ledger import Dashboard, SeriesPoint
from models.matcher import RegionMatcher, Step
from models.records import (
    BillRecord,
    ClockRecord,
    PayerRecord,
    PaymentRecord,
    PledgeRecord,
    RefundRecord,
    TermRecord,
    WorkerRecord,
)

__all__ = ["ALL_SPONSORS", "RegionStore"]

ALL_SPONSORS = "*"
"""The row key of a region's totals in the monthly series."""

_CHUNK = 200  # upserts per journal record: keeps each well under Kafka's 1 MiB message limit


def _bytes(record: BaseModel) -> bytes:
    return to_json(record)


_M = TypeVar("_M", bound=BaseModel)


def _record(model: type[_M], raw: Any) -> _M:
    """A record from its table value: parsed straight from the bytes (pydantic's own JSON parser)."""
    if isinstance(raw, bytes | bytearray):
        return model.model_validate_json(raw)
    return model.model_validate(raw)


def _value(raw: Any) -> Any:
    """A table value as data: JSON bytes (tables written since issue 17), or data already."""
    return loads(bytes(raw)) if isinstance(raw, bytes | bytearray) else raw


class RegionStore:
    """Region matchers kept in memory, persisted to and restored from one table."""

    def __init__(self, table: MutableMapping[str, Any], pseudonym_key: bytes, policy: CityPolicy) -> None:
        self._table = table
        self._key = pseudonym_key
        self._policy = policy
        self._matchers: dict[str, RegionMatcher] = {}
        self._dashboards: dict[str, Dashboard] = {}
        self._completed: dict[str, list[tuple[str, Any]]] = {}
        """Records of a journal completed on restore, not yet sent to the changelog."""
        self._journal: dict[str, tuple[int, int]] = {}
        """Per region, the last step's number and its chunk count (read from the head once)."""
        self._points: dict[str, dict[str, SeriesPoint]] = {}
        """Per region, series points moved by outputs ``absorb`` took, not yet in ``changes``."""

    def matcher(self, region: str) -> RegionMatcher:
        """The region's matcher, rebuilt from the table the first time after a (re)assignment."""
        found = self._matchers.get(region)
        if found is None:
            found = self._matchers[region] = self._restore(region)
            self._dashboards[region] = self._restore_dashboard(region)
        return found

    def levels(self, region: str) -> dict[str, int]:
        """The region's running totals (waiting, covered, rupiah by ledger state)."""
        dashboard = self._dashboards.get(region)
        return {} if dashboard is None else dashboard.totals(region)

    def series(self, region: str, sponsor: str | None = None) -> list[SeriesPoint]:
        """Monthly points of a region (``sponsor`` None: the region's totals), oldest first."""
        prefix = f"{region}|m|{sponsor or ALL_SPONSORS}|"
        points = [_record(SeriesPoint, v) for k, v in self._table.items() if k.startswith(prefix)]
        return sorted(points, key=lambda point: point.period)

    def pledges(self, region: str) -> list[PledgeRecord]:
        """Every pledge of a region with its ledger, in acceptance order."""
        prefix = f"{region}|p|"
        records = [_record(PledgeRecord, v) for k, v in self._table.items() if k.startswith(prefix)]
        return sorted(records, key=lambda record: record.accepted_seq)

    def forget(self, region: str | None = None) -> None:
        """Drop cached matchers (all, on a rebalance; one, after a failed step)."""
        if region is None:
            self._matchers.clear()
            self._dashboards.clear()
            self._completed.clear()
            self._journal.clear()
            self._points.clear()
        else:
            self._matchers.pop(region, None)
            self._dashboards.pop(region, None)
            self._completed.pop(region, None)
            self._journal.pop(region, None)
            self._points.pop(region, None)

    def absorb(self, region: str, outputs: Sequence[Any]) -> None:
        """Fold outputs into the region's dashboard now (a large step's, as it spills them);
        the series points they move are written with the next ``changes``."""
        dashboard = self._dashboards.get(region)
        if dashboard is None:  # forgotten since the matcher was taken: the table holds its levels
            dashboard = self._dashboards[region] = self._restore_dashboard(region)
        points = self._points.setdefault(region, {})
        for event in outputs:
            for point in dashboard.apply(event):
                points[f"{region}|m|{point.sponsor_id or ALL_SPONSORS}|{point.period}"] = point

    def changes(
        self, region: str, matcher: RegionMatcher, steps: Sequence[Step], *, absorbed: int = 0
    ) -> list[tuple[str, Any]]:
        """The records ``steps`` changed, with their values now: what ``write`` takes.

        The outputs of the first ``absorbed`` steps were folded already (``absorb``).

        Several steps of a batch go together: a record is taken with its value
        after the last of them, which may include a later step's change, so only
        the whole batch is a consistent unit (``write`` lands all of it or none).
        Taken apart from ``write`` so that a batch's values can be fixed while
        the matcher goes on to the next batch and the broker still holds its
        outputs.
        """
        workers = dict.fromkeys(w for step in steps for w in step.workers)
        pledges = dict.fromkeys(p for step in steps for p in step.pledges)
        upserts: list[tuple[str, Any]] = []
        if any(step.clock for step in steps):
            upserts.append((f"{region}|c", _bytes(matcher.clock_record())))
        upserts.extend((f"{region}|w|{w}", _bytes(matcher.worker_record(w))) for w in workers)
        upserts.extend((f"{region}|p|{p}", _bytes(matcher.pledge_record(p))) for p in pledges)
        for t in dict.fromkeys(t for step in steps for t in step.terms):
            term = matcher.term_record(t)
            upserts.append((f"{region}|t|{t}", None if term is None else _bytes(term)))
        upserts.extend(
            (f"{region}|b|{b}", _bytes(matcher.bill_record(b)))
            for b in dict.fromkeys(b for step in steps for b in step.bills)
        )
        upserts.extend(
            (f"{region}|y|{y}", _bytes(matcher.payment_record(y)))
            for y in dict.fromkeys(y for step in steps for y in step.payments)
        )
        upserts.extend(
            (f"{region}|f|{f}", _bytes(matcher.refund_record(f)))
            for f in dict.fromkeys(f for step in steps for f in step.refunds)
        )
        upserts.extend(
            (f"{region}|a|{a}", _bytes(matcher.payer_record(a)))
            for a in dict.fromkeys(a for step in steps for a in step.payers)
        )
        for step in steps:  # a marker is its closes count; a dropped one is deleted
            upserts.extend((f"{region}|s|{e}", None) for e in step.forgotten)
            upserts.extend((f"{region}|s|{e}", str(closes).encode()) for e, closes in step.seen)
        self.absorb(region, [output for step in steps[absorbed:] for output in step.outputs])
        upserts.extend(self._series_upserts(region))
        return upserts

    def write(self, region: str, upserts: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        """Apply ``upserts`` as one journaled step (see the module); returns the changelog's records.

        They must reach the changelog in this order. Empty when there is nothing
        to send: no upsert, and no journal completed on restore still to send.
        """
        records = self._completed.pop(region, [])
        if upserts:
            head_key = f"{region}|J"
            last, before = self._last_step(region)
            number = last + 1
            chunks = [upserts[i : i + _CHUNK] for i in range(0, len(upserts), _CHUNK)]
            records.extend(
                (f"{region}|j|{n}", dumps({"step": number, "upserts": [
                    (key, None if value is None else embedded(value)) for key, value in c
                ]}))
                for n, c in enumerate(chunks)
            )
            records.append((head_key, dumps({"step": number, "chunks": len(chunks)})))
            records.extend(upserts)
            # the chunks of an earlier, larger step: the head above no longer names them
            records.extend((f"{region}|j|{n}", None) for n in range(len(chunks), before))
            self._journal[region] = (number, len(chunks))
        for key, value in records:
            if value is None:
                self._table.pop(key, None)
            else:
                self._table[key] = value
        return records

    def _last_step(self, region: str) -> tuple[int, int]:
        """The region's last journaled step: its number, and how many chunks may still be on record."""
        found = self._journal.get(region)
        if found is None:
            head = _value(self._table.get(f"{region}|J"))
            number = 0 if head is None else int(head["step"])
            chunks = 0
            while f"{region}|j|{chunks}" in self._table:
                chunks += 1
            found = self._journal[region] = (number, chunks)
        return found

    def _series_upserts(self, region: str) -> list[tuple[str, Any]]:
        points = self._points.pop(region, {})
        if not points:
            return []
        levels = [
            (f"{region}|l|{row or ALL_SPONSORS}", values)
            for (_, row), values in self._dashboards[region].levels().items()
        ]
        return [*((k, _bytes(p)) for k, p in points.items()),
                *((k, dumps(v)) for k, v in levels)]

    def _restore_dashboard(self, region: str) -> Dashboard:
        prefix = f"{region}|l|"
        levels = {
            (region, None if k == f"{prefix}{ALL_SPONSORS}" else k.removeprefix(prefix)): _value(v)
            for k, v in self._table.items()
            if k.startswith(prefix)
        }
        return Dashboard(levels)

    @staticmethod
    def _unfinished_step(region: str, records: dict[str, Any]) -> list[tuple[str, Any]]:
        """The upserts of the last step whose head landed, unless its records are known complete.

        A chunk already overwritten by a later step proves the head's step
        finished: its records were written before that chunk.
        """
        head = _value(records.get(f"{region}|J"))
        if head is None:
            return []
        chunks = [_value(records.get(f"{region}|j|{n}")) for n in range(int(head["chunks"]))]
        if any(c is not None and c["step"] > head["step"] for c in chunks):
            return []
        upserts: list[tuple[str, Any]] = []
        for n, chunk in enumerate(chunks):
            if chunk is None or chunk["step"] != head["step"]:
                raise RuntimeError(f"state_journal_broken: chunk {n} of step {head['step']} is missing")
            upserts.extend((key, None if v is None else dumps(v)) for key, v in chunk["upserts"])
        return upserts

    def _restore(self, region: str) -> RegionMatcher:
        prefix = f"{region}|"
        records = {k: v for k, v in self._table.items() if isinstance(k, str) and k.startswith(prefix)}
        completed = self._unfinished_step(region, records)
        for key, value in completed:
            records[key] = value
            if value is None:
                self._table.pop(key, None)
            else:
                self._table[key] = value  # complete what the crash cut off ...
        if completed:
            self._completed[region] = completed  # ... and send it with the region's next write
        clock = records.get(f"{region}|c")

        def kind(letter: str, model: type[_M]) -> Iterator[_M]:
            """Parsed one at a time as the matcher takes them: a million records are never all
            held as models at once."""
            start = f"{prefix}{letter}|"
            return (_record(model, v) for k, v in records.items() if k.startswith(start) and v is not None)

        return RegionMatcher.restore(
            region,
            self._key,
            clock=None if clock is None else _record(ClockRecord, clock),
            workers=kind("w", WorkerRecord),
            pledges=kind("p", PledgeRecord),
            seen=[(k.removeprefix(f"{prefix}s|"), int(_value(v))) for k, v in records.items()
                  if k.startswith(f"{prefix}s|") and v is not None],
            terms=kind("t", TermRecord),
            bills=kind("b", BillRecord),
            payments=kind("y", PaymentRecord),
            refunds=kind("f", RefundRecord),
            payers=kind("a", PayerRecord),
            policy=self._policy,
        )
