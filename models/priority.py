"""Who is covered first, and why: one deterministic, explainable score.

Points (defaults in ``PriorityWeights``; a city may change them, which
affects workers scored after the change only):

============  ==================================================  =========
signal        rule                                                 points
============  ==================================================  =========
poverty       ``(11 - welfare decile) * 10``: decile 1 (poorest)   10..100
              100, decile 10 scores 10. Unknown decile counts as
              decile 6: below every household the national
              register ranks poor (1-5), not presumed rich.
hazard        occupation hazard class (``models.occupations``)     15..45
              ``* 15``: fishers, construction, ojek 45; tailors 15
household     breadwinner: 20 + 5 per dependant, at most 4         0 or 20..40
              counted. A breadwinner's accident or death pushes
              the household into poverty; a non-breadwinner's
              dependants do not score.
disability    20                                                  0 or 20
waited        1 point per 2 days waited (``aging_seconds_per_     grows
              point``): the widest base gap (180) closes within
              about a year, so nobody waits for ever at the bottom
============  ==================================================  =========

Aging adds the same amount to every waiting worker as time passes, so the
order never changes with time and is fixed by a key computed once, in
integer arithmetic::

    key = base_points * aging_seconds_per_point - submitted_at_seconds

A worker with a higher key goes first; equal keys go to the earlier
submission, then the smaller application id, then the smaller pseudonym.
Same input log, same order, every time; a heap keeps it at O(log n).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from models.occupations import HAZARD_CLASS, Occupation
from models.trusted import trusted

__all__ = [
    "Priority",
    "PriorityWeights",
    "base_points",
    "explain",
    "ordering_key",
    "seconds_since_epoch",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


class PriorityWeights(BaseModel):
    """The city's weights; see the module docstring for what each one is for."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    points_per_decile: int = Field(default=10, ge=0)
    unknown_decile_as: int = Field(default=6, ge=1, le=10)
    points_per_hazard_class: int = Field(default=15, ge=0)
    breadwinner: int = Field(default=20, ge=0)
    per_dependant: int = Field(default=5, ge=0)
    dependants_counted: int = Field(default=4, ge=0)
    disability: int = Field(default=20, ge=0)
    aging_seconds_per_point: int = Field(default=172_800, ge=1)


class Priority(BaseModel):
    """A worker's priority as carried on events: the answer to "why this worker first"."""

    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")

    poverty: int
    hazard: int
    household: int
    disability: int
    waited: int
    """Aging points at the moment of the event that produced this value."""
    score: int
    """``poverty + hazard + household + disability + waited``."""
    key: int
    """The ordering key; higher goes first."""


_Priority = trusted(Priority)
"""``explain`` computes every field in integers: built without a second validation (``models.trusted``)."""


def seconds_since_epoch(moment: datetime) -> int:
    """Whole seconds since 1970-01-01 UTC, in integers (no float rounding)."""
    return (moment - _EPOCH) // _SECOND


def base_points(
    welfare_decile: int | None,
    occupation: Occupation,
    breadwinner: bool,
    dependants: int,
    disability: bool,
    weights: PriorityWeights,
) -> tuple[int, int, int, int]:
    """(poverty, hazard, household, disability) points before aging."""
    decile = weights.unknown_decile_as if welfare_decile is None else welfare_decile
    poverty = (11 - decile) * weights.points_per_decile
    hazard = HAZARD_CLASS[occupation] * weights.points_per_hazard_class
    household = (
        weights.breadwinner + weights.per_dependant * min(dependants, weights.dependants_counted)
        if breadwinner
        else 0
    )
    return poverty, hazard, household, (weights.disability if disability else 0)


def ordering_key(base: int, submitted_s: int, weights: PriorityWeights) -> int:
    """``base * aging_seconds_per_point - submitted_s``: fixed for life, higher first."""
    return base * weights.aging_seconds_per_point - submitted_s


def explain(
    parts: tuple[int, int, int, int],
    submitted_s: int,
    now_s: int,
    weights: PriorityWeights,
) -> Priority:
    """The breakdown at ``now_s`` (an event's time), for events and for people."""
    poverty, hazard, household, disability = parts
    base = poverty + hazard + household + disability
    waited = max(now_s - submitted_s, 0) // weights.aging_seconds_per_point
    return _Priority(
        poverty=poverty,
        hazard=hazard,
        household=household,
        disability=disability,
        waited=waited,
        score=base + waited,
        key=ordering_key(base, submitted_s, weights),
    )
