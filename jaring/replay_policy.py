"""Replay a region's log under another policy and say what would differ: ``jaring replay --policy``.

A city about to change its rules (a priority weight, the deciles it admits,
the months it sells) wants to know what the change would have done to the
people already in the programme. The region log is the one order the matcher
saw, and the core is pure, so the answer is exact: the log run through the
core under the current policy (``jaring.audit.replay``, the replay check the
tests use to prove the workers emitted exactly the core's outputs) and under
the new one (and, if given, another tariff file: a new schedule's prices,
which also bills running terms' months from the schedule's start, and its
discounts; a policy with ``apply_tariff_discounts`` false models the
tariff without them), folded to each worker's state at the end of the log and each
pledge's ledger, and compared.

A worker's state at the end is ``covered`` (a seat committed, confirmed or
renewed: the sponsor's money is bound to them), ``waiting`` or ``rejected``
(with its reason code). Counts by group (district, occupation, sex, welfare
decile) go through ``models.disclosure.suppress``; the per-worker list names
pseudonyms only, and the CSV, which adds each worker's groups, is an
operator's file (pseudonyms with their district, occupation, sex and decile
can single a person out to someone who knows the street): keep it where the
region log is kept.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import ValidationError

from infra.topic_io import Record
from jaring.audit import replay
from models.codec import decode
from models.disclosure import suppress
from models.eligibility import CityPolicy
from models.events import (
    ApplicationRejected,
    ApplicationWaiting,
    CoverageActivated,
    CoverageCancelled,
    CoverageCommitted,
    CoverageExpired,
    CoverageLapsed,
    CoverageRenewed,
    Event,
    FundingKind,
    FundingMovement,
    PledgeAccepted,
    PledgeRejected,
    pledge_key,
)
from models.tariff import BPU_TARIFF, Tariff

__all__ = [
    "GROUPS",
    "Money",
    "Outcome",
    "PolicyDiff",
    "PolicyFileError",
    "Profile",
    "Result",
    "compare",
    "fold",
    "parse_policy",
    "render",
    "to_csv",
]

State = Literal["covered", "waiting", "rejected"]

GROUPS = ("district", "occupation", "sex", "welfare_decile")
"""The groups every count is broken down by: the ones the seat and waiting events carry."""

UNKNOWN = "unknown"
"""A group a worker's events did not tell (a rejection carries none; an old event no sex or decile)."""


class PolicyFileError(ValueError):
    """A policy file that is not a valid ``CityPolicy``; the message names the field."""


def parse_policy(text: str | bytes, source: str) -> CityPolicy:
    """``CityPolicy`` from its JSON (the ``JARING_POLICY_FILE`` format); one line naming the field if not."""
    try:
        return CityPolicy.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(the whole file)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise PolicyFileError(f"policy_invalid: {source}: {where}: {first['msg']}{more}") from None


@dataclass(frozen=True, slots=True)
class Outcome:
    state: State
    reason: str = ""
    """The rejection's or cancellation's reason code; empty otherwise."""

    def __str__(self) -> str:
        return f"{self.state} ({self.reason})" if self.reason else self.state


@dataclass(slots=True)
class Profile:
    """A worker's groups, as the output events tell them."""

    district: str = UNKNOWN
    occupation: str = UNKNOWN
    sex: str = UNKNOWN
    welfare_decile: str = UNKNOWN

    def group(self, name: str) -> str:
        value: str = getattr(self, name)
        return value


@dataclass(frozen=True, slots=True)
class Money:
    """One pledge at the end of the log: accepted or rejected, and its ledger's balances."""

    status: str
    """``accepted``, or ``rejected (reason)``."""
    seats: int = 0
    committed_idr: int = 0
    billed_idr: int = 0
    remainder_idr: int = 0
    returned_idr: int = 0
    repriced_idr: int = 0
    """Committed money the tariff's discounts gave back to the remainder (``repriced`` movements, summed):
    what ``apply_tariff_discounts`` or another ``--tariff`` changes for pledges already running."""


@dataclass
class Result:
    """What one run of the log left: every worker's outcome, their groups, every pledge's money."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    money: dict[str, Money] = field(default_factory=dict)


def _learn(profiles: dict[str, Profile], worker: str, event: Event) -> None:
    profile = profiles.setdefault(worker, Profile())
    for name in GROUPS:
        value = getattr(event, name, None)
        if value is not None:
            setattr(profile, name, str(value))


def fold(events: Iterable[Event]) -> Result:
    """Each worker's state after the last event, and each pledge's last balances.

    Workers are their pseudonyms; an application rejected before its NIK
    parsed has none and is keyed ``application:<id>``. A rejection naming a
    worker who waits or is covered (``duplicate_worker``) changes nothing about them.
    """
    result = Result()
    for event in events:
        if isinstance(event, ApplicationWaiting):
            result.outcomes[event.worker] = Outcome("waiting")
            _learn(result.profiles, event.worker, event)
        elif isinstance(event, ApplicationRejected):
            worker = event.worker or f"application:{event.application_id}"
            if result.outcomes.get(worker, Outcome("rejected")).state == "rejected":
                result.outcomes[worker] = Outcome("rejected", event.reason)
                result.profiles.setdefault(worker, Profile())
        elif isinstance(event, CoverageCommitted | CoverageActivated | CoverageRenewed):
            result.outcomes[event.worker] = Outcome("covered")
            _learn(result.profiles, event.worker, event)
        elif isinstance(event, CoverageCancelled):
            result.outcomes[event.worker] = (
                Outcome("waiting") if event.outcome == "waiting" else Outcome("rejected", event.reason)
            )
        elif isinstance(event, CoverageLapsed) or (
            isinstance(event, CoverageExpired) and event.outcome == "waiting"
        ):
            result.outcomes[event.worker] = Outcome("waiting")
        elif isinstance(event, PledgeAccepted):
            result.money[pledge_key(event.sponsor_id, event.pledge_id)] = Money("accepted", event.seats)
        elif isinstance(event, PledgeRejected):
            key = pledge_key(event.sponsor_id, event.pledge_id)
            if key not in result.money:  # a duplicate's rejection leaves the accepted pledge alone
                result.money[key] = Money(f"rejected ({event.reason})")
        elif isinstance(event, FundingMovement):
            key = pledge_key(event.sponsor_id, event.pledge_id)
            b = event.balances
            known = result.money.get(key)
            seats, repriced = (known.seats, known.repriced_idr) if known is not None else (0, 0)
            if event.kind is FundingKind.REPRICED:
                repriced += event.amount_idr
            result.money[key] = Money("accepted", seats, b.committed_idr, b.billed_idr, b.remainder_idr,
                                      b.returned_idr, repriced)
    return result


def run(
    log: Iterable[Record], region: str, pseudonym_key: bytes, policy: CityPolicy, tariff: Tariff = BPU_TARIFF
) -> Result:
    """The core over ``region``'s records of the log under ``policy`` and ``tariff``, folded (the replay
    check's core)."""
    mine = [r for r in log if r.key == region.encode()]
    return fold(decode(raw) for raw in replay(mine, pseudonym_key, policy, tariff).values())


@dataclass(frozen=True, slots=True)
class Change:
    worker: str
    profile: Profile
    current: Outcome
    new: Outcome


@dataclass
class PolicyDiff:
    """Who and what differ between the current policy's run and the new one's."""

    workers: int
    """Workers in either run."""
    changes: list[Change]
    money: dict[str, tuple[Money | None, Money | None]]
    """Pledges whose money differs: (current, new); None where the run never saw the pledge."""

    @property
    def empty(self) -> bool:
        return not self.changes and not self.money


def compare(current: Result, new: Result) -> PolicyDiff:
    """The differences, workers and pledges in key order (deterministic output)."""
    absent = Outcome("rejected", "not_in_run")
    workers = sorted(current.outcomes.keys() | new.outcomes.keys())
    changes = []
    for worker in workers:
        before, after = current.outcomes.get(worker, absent), new.outcomes.get(worker, absent)
        if before != after:
            profile = current.profiles.get(worker, Profile())
            if profile == Profile():
                profile = new.profiles.get(worker, profile)
            changes.append(Change(worker, profile, before, after))
    money = {
        key: (current.money.get(key), new.money.get(key))
        for key in sorted(current.money.keys() | new.money.keys())
        if current.money.get(key) != new.money.get(key)
    }
    return PolicyDiff(len(workers), changes, money)


def _transition(change: Change) -> str:
    return f"{change.current.state} -> {change.new.state}"


def _rupiah(money: Money | None) -> str:
    if money is None:
        return "not in this run"
    if money.status != "accepted":
        return money.status
    return (f"{money.seats} seats, committed {money.committed_idr:,}, billed {money.billed_idr:,}, "
            f"remainder {money.remainder_idr:,}, returned {money.returned_idr:,}, "
            f"repriced {money.repriced_idr:,}")


def render(diff: PolicyDiff, region: str, policy_name: str) -> str:
    """The report as text: transitions, pseudonyms, counts by group (suppressed), money by pledge."""
    if diff.empty:
        return (f"region {region}: no difference under {policy_name}: all {diff.workers} workers end "
                "the log as they do now, and every pledge's money is the same\n")
    lines = [f"region {region} under {policy_name}: {len(diff.changes)} of {diff.workers} workers "
             f"end the log differently; {len(diff.money)} pledge(s) differ in money", ""]
    transitions: dict[str, list[Change]] = {}
    for change in diff.changes:
        transitions.setdefault(_transition(change), []).append(change)
    lines.append("workers (current -> new)")
    for name in sorted(transitions):
        lines.append(f"  {name:<24} {len(transitions[name]):>6}")
    lines += ["", "by worker (pseudonym: current -> new)"]
    lines += [f"  {c.worker}: {c.current} -> {c.new}" for c in diff.changes]
    lines += ["", "by group (cells under 5 merged into 'other': no count names a person)"]
    for name in sorted(transitions):
        lines.append(f"  {name}")
        for group in GROUPS:
            counts: dict[str, int] = {}
            for change in transitions[name]:
                value = change.profile.group(group)
                counts[value] = counts.get(value, 0) + 1
            shown = suppress(dict(sorted(counts.items())))
            cells = [f"{k} {n}" for k, n in shown.cells.items()]
            if shown.merged:
                cells.append(f"other {shown.other}")
            lines.append(f"    {group:<15} " + ", ".join(cells))
    if diff.money:
        lines += ["", "money by pledge (rupiah; current -> new)"]
        for key, (before, after) in diff.money.items():
            lines += [f"  {key}", f"    current: {_rupiah(before)}", f"    new:     {_rupiah(after)}"]
    return "\n".join(lines) + "\n"


CSV_HEADER = ("pseudonym", *GROUPS, "current", "current_reason", "new", "new_reason")


def to_csv(diff: PolicyDiff) -> str:
    """One row per worker who differs: an operator's file (pseudonyms with their groups)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for c in diff.changes:
        writer.writerow((c.worker, *(c.profile.group(g) for g in GROUPS),
                         c.current.state, c.current.reason, c.new.state, c.new.reason))
    return out.getvalue()
