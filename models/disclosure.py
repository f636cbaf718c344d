"""Small-cell suppression: no count shown outside the engine may single out a person.

A cell of 1 or 2 workers by district, sex, occupation and welfare decile can
name someone to anyone who knows the street. Every count Jaring shows outside
the engine (dashboard, statements, reports, fairness figures, the API's group
counts) goes through ``suppress`` first. The rule, in one place:

1. a cell with ``0 < count < threshold`` is not shown: it is merged into one
   ``other`` cell, and the table names it in ``merged`` (a reader learns the
   group was small, never how small);
2. if ``other`` is then itself below the threshold (but not zero), the
   smallest shown cells (smallest count first, then key order) are merged into
   it one at a time until it reaches the threshold or every cell is merged, so
   that ``other`` cannot be read as one person either, nor any merged cell
   recovered as total minus the rest;
3. zeros are shown: nobody is singled out by an empty group;
4. the total is exact: the shown cells plus ``other`` always add up to it.

A total below the threshold is shown exact (a regency's total is public), so
a table whose total is small becomes a single ``other`` cell. Differences
between two tables of overlapping populations (this month and last) can still
narrow a count down; the rule does not claim more than it does: each table on
its own names nobody.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["DEFAULT_THRESHOLD", "Suppressed", "suppress"]

DEFAULT_THRESHOLD = 5
"""The smallest count shown: a common floor of official statistics offices for counts of persons."""

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Suppressed(Generic[K]):
    """A table as it may be shown: the cells kept, the rest summed in ``other``."""

    cells: dict[K, int]
    """The cells shown, in the input's order: each zero or at least ``threshold``."""
    other: int
    """The merged cells' sum: zero if none was merged, else at least ``threshold`` or the whole total."""
    merged: tuple[K, ...]
    """The cells merged into ``other``, in the input's order."""
    total: int
    threshold: int


def suppress(counts: Mapping[K, int], threshold: int = DEFAULT_THRESHOLD) -> Suppressed[K]:
    """Apply the rule above to one table of counts (keys in the order they should be shown)."""
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    if any(n < 0 for n in counts.values()):
        raise ValueError("counts cannot be negative")
    order = {k: i for i, k in enumerate(counts)}
    small = {k for k, n in counts.items() if 0 < n < threshold}
    other = sum(counts[k] for k in small)
    if 0 < other < threshold:
        rest = (k for k in counts if k not in small and counts[k] > 0)
        for k in sorted(rest, key=lambda k: (counts[k], order[k])):
            small.add(k)
            other += counts[k]
            if other >= threshold:
                break
    return Suppressed(
        cells={k: n for k, n in counts.items() if k not in small},
        other=other,
        merged=tuple(k for k in counts if k in small),
        total=sum(counts.values()),
        threshold=threshold,
    )
