"""The fairness monitor: who is covered against who needs cover, by group, month by month.

For each regency and month, and each dimension (district, occupation, sex,
welfare decile, disability), a pure fold of the engine's output events counts

- **eligible**: distinct workers found eligible up to the end of the month
  (an ``application.waiting``, or a seat for a worker matched on arrival:
  ``coverage.committed``/``activated``/``renewed``), in the group their
  first such event names (earliest by period and event time: the same
  whatever order the topics are read in). The need the city knows of;
- **covered**: workers with an active term at the end of the month (a
  ``coverage.activated`` or ``renewed`` not yet ended by ``coverage.expired``,
  ``lapsed``, or ``ended`` by a life event), in the group the term's seat event
  names. The same series as the dashboard's covered line.

Groups come from fixed vocabularies (``vocabulary``): the regency's district
codes, the occupations, sex ``F``/``M``, decile ``1``-``10``, and
``unknown`` for what an event does not say (an older record; a district the
table lacks). Disability is not on the events as such: it is read off the
priority breakdown, ``disability`` points > 0 (``models.priority``), so a
city whose policy gives disability 0 points counts everyone as ``no``.

``table`` turns one month's counts into what may be shown: the groups under
the disclosure threshold are merged into one ``_merged`` row in both
columns (``models.disclosure``, the one small-cell rule), then each group's
share among the eligible and among the covered, the gap between the two,
and its coverage ratio (covered/eligible in the group) against the
regency's. Everything compared is a ``Fraction``: no float drift.

Events must be distinct (the caller drops repeats by id, as the dashboard's
view does). A worker's coverage events share one topic and key, so a term's
end comes after its seat; eligibility is a minimum, and every count a sum of
per-month deltas, so the fold reaches the same figures in any interleaving of
the topics.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from models.disclosure import DEFAULT_THRESHOLD, suppress
from models.events import (
    ApplicationWaiting,
    CoverageActivated,
    CoverageCommitted,
    CoverageEnded,
    CoverageExpired,
    CoverageLapsed,
    CoverageRenewed,
    Event,
)
from models.occupations import Occupation
from models.periods import period_index, period_name
from models.regions import districts_of

__all__ = [
    "DIMENSIONS",
    "MERGED",
    "UNKNOWN",
    "Fairness",
    "GroupRow",
    "Month",
    "Table",
    "fold",
    "table",
    "tables",
    "vocabulary",
]

DIMENSIONS = ("district", "occupation", "sex", "decile", "disability")
"""The dimensions, in the order they are shown; also the ``dimension`` label's only values."""
UNKNOWN = "unknown"
MERGED = "_merged"
"""The row of the groups merged because they were small: never one group alone."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_Groups = tuple[str, str, str, str, str]
"""A worker's group in each of ``DIMENSIONS``, in order."""


def vocabulary(dimension: str, region: str) -> tuple[str, ...]:
    """Every group ``dimension`` can take in ``region``, in the order shown: a fixed, bounded set."""
    if dimension == "district":
        return (*districts_of(region), UNKNOWN)
    if dimension == "occupation":
        return tuple(str(o) for o in Occupation)
    if dimension == "sex":
        return ("F", "M", UNKNOWN)
    if dimension == "decile":
        return (*(str(d) for d in range(1, 11)), UNKNOWN)
    if dimension == "disability":
        return ("yes", "no")
    raise ValueError(f"unknown dimension {dimension!r}")


_Seat = CoverageCommitted | CoverageActivated | CoverageRenewed


def _groups(event: ApplicationWaiting | _Seat) -> _Groups:
    district = event.district if event.district in districts_of(event.region) else UNKNOWN
    return (
        district,
        str(event.occupation),
        UNKNOWN if event.sex is None else str(event.sex),
        UNKNOWN if event.welfare_decile is None else str(event.welfare_decile),
        "yes" if event.priority.disability > 0 else "no",
    )


@dataclass(slots=True)
class _Worker:
    """As small as it goes: a dashboard holds one per worker. Group tuples are the region's shared ones."""

    first: tuple[int, int, _Groups]
    """(period index, event time in microseconds, groups) of the earliest event that found the worker
    eligible; an exact tie in time is broken by the groups, so the choice does not depend on order."""
    terms: dict[int, _Groups] | None = None
    """Active terms: term number -> the seat's groups."""


@dataclass
class _Region:
    workers: dict[str, _Worker] = field(default_factory=dict)
    shared: dict[_Groups, _Groups] = field(default_factory=dict)
    """One tuple per combination of groups (a few thousand at most), shared by the workers in it."""
    eligible: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    """(period, dimension index, group) -> change in eligible workers that month."""
    covered: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    periods: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Month:
    """One regency's raw counts at the end of one month: never shown as they are (see ``table``)."""

    region: str
    period: str
    eligible: dict[str, dict[str, int]]
    """Dimension -> group (its whole vocabulary, in order) -> eligible workers."""
    covered: dict[str, dict[str, int]]

    @property
    def eligible_total(self) -> int:
        return sum(self.eligible["district"].values())

    @property
    def covered_total(self) -> int:
        return sum(self.covered["district"].values())


class Fairness:
    """Every region's fairness counts, folded from distinct output events; ``apply`` is the only writer."""

    def __init__(self) -> None:
        self._regions: dict[str, _Region] = {}

    def apply(self, event: Event) -> None:
        """Fold one event (anything but eligibility and cover events changes nothing)."""
        if isinstance(event, ApplicationWaiting | CoverageCommitted | CoverageActivated | CoverageRenewed):
            r = self._regions.setdefault(event.region, _Region())
            groups = _groups(event)
            groups = r.shared.setdefault(groups, groups)
            key = (period_index(event.period), (event.event_time - _EPOCH) // _MICROSECOND, groups)
            w = r.workers.get(event.worker)
            if w is None:
                w = r.workers[event.worker] = _Worker(key)
                self._move(r.eligible, event.period, groups, +1)
                r.periods.add(event.period)
            elif key < w.first:  # an earlier event read later (another topic): it says when and as what
                self._move(r.eligible, period_name(w.first[0]), w.first[2], -1)
                w.first = key
                self._move(r.eligible, event.period, groups, +1)
                r.periods.add(event.period)
            if isinstance(event, CoverageActivated | CoverageRenewed):
                if w.terms is None:
                    w.terms = {}
                w.terms[event.term_no] = groups
                self._move(r.covered, event.period, groups, +1)
                r.periods.add(event.period)
        elif isinstance(event, CoverageExpired | CoverageLapsed | CoverageEnded):
            r = self._regions.setdefault(event.region, _Region())
            found = r.workers.get(event.worker)
            term = int(event.coverage_id.rsplit(":", 1)[-1])
            if found is None or found.terms is None or term not in found.terms:
                return  # a term never active (its seat is on the same topic, before it): nothing to end
            groups = found.terms.pop(term)
            if not found.terms:
                found.terms = None
            self._move(r.covered, event.period, groups, -1)
            r.periods.add(event.period)

    @staticmethod
    def _move(counts: Counter[tuple[str, int, str]], period: str, groups: _Groups, by: int) -> None:
        for i, group in enumerate(groups):
            counts[(period, i, group)] += by

    def regions(self) -> list[str]:
        return sorted(self._regions)

    def months(self, region: str, through: str | None = None) -> list[Month]:
        """Every month from the region's first event to its last (or ``through``, if later: months
        without a change carry the levels on), levels at each month's end."""
        r = self._regions.get(region)
        if r is None or not r.periods:
            return []
        first, last = period_index(min(r.periods)), period_index(max(r.periods))
        if through is not None:
            last = max(last, period_index(through))
        eligible = [dict.fromkeys(vocabulary(d, region), 0) for d in DIMENSIONS]
        covered = [dict.fromkeys(vocabulary(d, region), 0) for d in DIMENSIONS]
        out = []
        for index in range(first, last + 1):
            period = period_name(index)
            for i in range(len(DIMENSIONS)):
                for group in eligible[i]:
                    eligible[i][group] += r.eligible[(period, i, group)]
                    covered[i][group] += r.covered[(period, i, group)]
            out.append(Month(
                region=region, period=period,
                eligible={d: dict(eligible[i]) for i, d in enumerate(DIMENSIONS)},
                covered={d: dict(covered[i]) for i, d in enumerate(DIMENSIONS)},
            ))
        return out

    def latest(self, region: str, through: str | None = None) -> Month | None:
        months = self.months(region, through)
        return months[-1] if months else None


@dataclass(frozen=True, slots=True)
class GroupRow:
    """One group's (or the merged groups') figures, as they may be shown."""

    group: str
    eligible: int
    covered: int
    eligible_share: Fraction
    """The group's share of the regency's eligible workers."""
    covered_share: Fraction
    gap: Fraction
    """``covered_share - eligible_share``: negative when the group is under-covered."""
    ratio: Fraction | None
    """The group's coverage (covered/eligible) over the regency's; None when either is undefined."""


@dataclass(frozen=True, slots=True)
class Table:
    dimension: str
    rows: list[GroupRow]
    """The groups shown, in vocabulary order, then ``MERGED`` when any was merged; groups with nobody
    eligible nor covered are left out."""
    merged: tuple[str, ...]
    eligible_total: int
    covered_total: int


def _share(n: int, total: int) -> Fraction:
    return Fraction(n, total) if total else Fraction(0)


def table(month: Month, dimension: str, min_cell: int = DEFAULT_THRESHOLD) -> Table:
    """One dimension of ``month`` as it may be shown: no group under ``min_cell`` alone, in either column.

    Each column is suppressed by ``models.disclosure``; a group merged in either is merged in both (a
    group shown with its eligible count but not its covered one would give the latter away as the
    merged row's difference). Should the union leave a merged cell that the rule would not show, every
    group is merged.
    """
    eligible, covered = month.eligible[dimension], month.covered[dimension]
    present = [g for g in eligible if eligible[g] or covered[g]]
    e_total, c_total = sum(eligible.values()), sum(covered.values())
    merged = set(suppress({g: eligible[g] for g in present}, min_cell).merged)
    merged |= set(suppress({g: covered[g] for g in present}, min_cell).merged)
    for column, total in ((eligible, e_total), (covered, c_total)):
        other = sum(column[g] for g in merged)
        if 0 < other < min_cell and other != total:
            merged = set(present)
    rows = [(g, eligible[g], covered[g]) for g in present if g not in merged]
    if merged:
        rows.append((MERGED, sum(eligible[g] for g in merged), sum(covered[g] for g in merged)))
    whole = Fraction(c_total, e_total) if e_total and c_total else None
    return Table(
        dimension=dimension,
        rows=[
            GroupRow(
                group=g, eligible=e, covered=c,
                eligible_share=_share(e, e_total), covered_share=_share(c, c_total),
                gap=_share(c, c_total) - _share(e, e_total),
                ratio=None if whole is None or e == 0 else Fraction(c, e) / whole,
            )
            for g, e, c in rows
        ],
        merged=tuple(g for g in present if g in merged),
        eligible_total=e_total,
        covered_total=c_total,
    )


def tables(month: Month, min_cell: int = DEFAULT_THRESHOLD) -> list[Table]:
    """Every dimension of ``month``, in ``DIMENSIONS`` order."""
    return [table(month, d, min_cell) for d in DIMENSIONS]


def fold(events: Iterable[Event]) -> Fairness:
    """A fresh fold of ``events`` (distinct ones)."""
    out = Fairness()
    for event in events:
        out.apply(event)
    return out
