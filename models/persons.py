"""The person index's decisions: one person (one NIK, one pseudonym) is one worker across the city.

A region's matcher dedupes workers within its region only; nothing there
stops the same NIK from being covered in two regencies at once. The index
keeps, per pseudonym, where the person belongs (``Person``), and every
application passes it first (``streams.persons``, keyed by pseudonym):

- unknown person, or an application in their home region: home is that
  region, and the application goes on unchanged to its region log;
- an application elsewhere that its region will refuse as ineligible (the
  city's policy, ``models.eligibility``: the regency not served, the age,
  covered already...) moves nobody: it goes on unchanged and that region
  refuses it with its reason, so a mistaken or hostile application never
  ends a cover the person holds;
- an application in region R while the person's home is A: a move. The
  index asks A to let them go (``life_event.reported``, ``moved_out``,
  reported by the engine under the id ``move_id(application)``, effective
  the month before the application's: their cover in A runs at most through
  the months A has billed or is billing) and holds the application. A's
  matcher answers ``person.released`` whatever it did (``models.matcher.exits``);
  A is the truth about its worker, so the index follows no other exit;
- ``released``: R's application goes on with the history A reported
  (``ApplicationSubmitted.carried``), home is R, and ``person.moved`` says
  so. R gets the application only after A let the person go: never two
  covers at once (R's matcher also refuses a carried history whose last
  covered month is not before its own current month: ``covered_elsewhere``);
- ``deceased``: the application is refused (``person_deceased``), and so is
  every later one: the index remembers;
- ``refused`` (A's clock is behind the application's month, or the claim is
  too old for A): the application is refused (``person_move_refused``)
  and the person stays A's;
- while a move is pending, another application for the person is refused
  (``person_moving``): it would race the one held.

Pure and deterministic: the same state and input give the same state and
actions, ids derived from the application's, so the shell may replay an
input after a crash: its actions repeat with the same ids (consumers drop
them) and its state write is the same; an answer replayed after the state
it led to was written does nothing (the shell writes that state only once
the answer's actions are on the broker).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from models.codec import decode, encode
from models.eligibility import CityPolicy, check_application
from models.errors import Reason
from models.events import (
    ApplicationRejected,
    ApplicationSubmitted,
    Carried,
    LifeEventKind,
    LifeEventReported,
    PersonMoved,
    PersonReleased,
)
from models.events.base import Model
from models.nik import Nik
from models.periods import period_name, period_of
from models.regions import RegencyCode

__all__ = [
    "CARRIED_FROM_OUTSIDE",
    "INDEX_REFUSALS",
    "MOVE_PREFIX",
    "Action",
    "AskRelease",
    "Forward",
    "Person",
    "Say",
    "claim",
    "is_index_output",
    "is_move",
    "move_id",
    "release",
]

MOVE_PREFIX = "person.move:"
"""The event id prefix of the engine's own ``moved_out`` reports: a matcher answers those."""
CARRIED_FROM_OUTSIDE = "carried_from_outside"
"""The router's dead-letter code for an application arriving with ``carried`` set: only the engine
may carry benefit clocks from one region to another."""
_MAX_ID = 256


INDEX_REFUSALS = frozenset({Reason.PERSON_DECEASED, Reason.PERSON_MOVING, Reason.PERSON_MOVE_REFUSED})
"""The reasons only the index refuses an application with (``claim``, ``release``)."""


def is_index_output(event: object) -> bool:
    """Whether ``event`` is one the index says (``Say``), not a matcher: it comes from the index's topics,
    so a replay of the region log does not derive it (``jaring.audit``'s checks do)."""
    return isinstance(event, PersonMoved) or (
        isinstance(event, ApplicationRejected) and event.reason in INDEX_REFUSALS
    )


def move_id(application_event_id: str) -> str:
    """The engine's ``moved_out`` id for an application: derived from its event id (hashed if long)."""
    made = MOVE_PREFIX + application_event_id
    if len(made) <= _MAX_ID:
        return made
    return MOVE_PREFIX + "sha256:" + hashlib.sha256(application_event_id.encode()).hexdigest()


def is_move(event_id: str) -> bool:
    """Whether a life event is the engine's move request (a matcher answers it ``person.released``)."""
    return event_id.startswith(MOVE_PREFIX)


class Person(Model):
    """What the index keeps of one pseudonym (the table's value, as JSON)."""

    status: Literal["active", "moving", "deceased"]
    region: RegencyCode
    """Home (``active``), the region asked to let go (``moving``), where they died (``deceased``)."""
    moving_to: RegencyCode | None = None
    move_id: str | None = None
    """The pending move (``moving``), else the last one completed: a replayed answer repeats its actions."""
    held: str | None = None
    """The application moving (its JSON: it holds the NIK and the name, as the region log does), only
    while the move is answered: the state that drops it is written only once what the answer caused is
    on the broker (``streams.persons``), so a replayed answer has nothing left to do."""
    held_timestamp: float = 0.0
    """Its record's timestamp: match latency is measured from it."""
    carried: Carried | None = None
    """The history the last move carried: every application to ``region`` carries it on."""


@dataclass(frozen=True, slots=True)
class Forward:
    """Append ``application`` to its region's log; ``unchanged``: the claim's own bytes, as they came."""

    application: ApplicationSubmitted
    timestamp: float
    unchanged: bool


@dataclass(frozen=True, slots=True)
class AskRelease:
    """Append the engine's ``moved_out`` report to the home region's log."""

    event: LifeEventReported


@dataclass(frozen=True, slots=True)
class Say:
    """An output: a refused application, or a completed move."""

    event: ApplicationRejected | PersonMoved


Action = Forward | AskRelease | Say


def claim(
    state: Person | None, worker: str, app: ApplicationSubmitted, timestamp: float, policy: CityPolicy
) -> tuple[Person | None, list[Action]]:
    """An application for ``worker`` (its pseudonym): the index's new state and what to do.

    ``policy``: the city's, as the matchers apply it. An application its own region will refuse
    as ineligible moves nobody: it goes on unchanged, for that region to refuse with its reason.
    """
    region = app.regency
    if state is None:
        return Person(status="active", region=region), [Forward(app, timestamp, unchanged=True)]
    if state.region != region and state.status == "active" and not isinstance(
        check_application(app, policy), Nik
    ):
        return state, [Forward(app, timestamp, unchanged=True)]
    if state.status == "deceased":
        return state, [Say(_refused(app, worker, Reason.PERSON_DECEASED,
                                    "this person was reported deceased; nothing changed"))]
    if state.status == "moving":
        assert state.held is not None and state.move_id is not None
        if state.move_id == move_id(app.event_id):  # the held application, delivered again
            return state, [AskRelease(_move_out(state.region, worker, app))]
        return state, [Say(_refused(app, worker, Reason.PERSON_MOVING,
                                    f"this person's move from {state.region} to {state.moving_to} is "
                                    "being recorded; apply again once it is answered"))]
    if state.region == region:
        carried = state.carried
        if carried is None:
            return state, [Forward(app, timestamp, unchanged=True)]
        return state, [Forward(app.model_copy(update={"carried": carried}), timestamp, unchanged=False)]
    moving = state.model_copy(update={
        "status": "moving", "moving_to": region, "move_id": move_id(app.event_id),
        "held": encode(app).decode(), "held_timestamp": timestamp,
    })
    return moving, [AskRelease(_move_out(state.region, worker, app))]


def release(state: Person | None, answer: PersonReleased) -> tuple[Person | None, list[Action]]:
    """A region's answer to a move request; an answer to no move of this state changes nothing."""
    if state is None or state.move_id != answer.move_id or state.held is None:
        return state, []
    held = decode(state.held)
    assert isinstance(held, ApplicationSubmitted)
    if state.status != "moving":
        return state, []
    if answer.outcome == "released":
        carried = Carried(
            from_region=answer.region, membership_since=answer.membership_since,
            covered_through=answer.covered_through, months_of_membership=answer.months_of_membership,
        )
        moved = state.model_copy(update={"status": "active", "region": held.regency, "moving_to": None,
                                         "carried": carried, "held": None, "held_timestamp": 0.0})
        forwarded = held.model_copy(update={"carried": carried})
        return moved, [Forward(forwarded, state.held_timestamp, unchanged=False), Say(_moved(held, answer))]
    if answer.outcome == "deceased":
        dead = state.model_copy(update={"status": "deceased", "region": answer.region, "moving_to": None,
                                        "held": None, "held_timestamp": 0.0})
        return dead, [Say(_refused(held, answer.worker, Reason.PERSON_DECEASED,
                                   "this person was reported deceased; nothing changed"))]
    stays = state.model_copy(update={"status": "active", "moving_to": None, "held": None,
                                     "held_timestamp": 0.0})
    return stays, [Say(_refused(held, answer.worker, Reason.PERSON_MOVE_REFUSED,
                                f"{answer.region} could not end this person's part for the move "
                                f"(its month is {answer.period}); apply again next month"))]


def _move_out(home: str, worker: str, app: ApplicationSubmitted) -> LifeEventReported:
    """The engine's report that the person left ``home``: effective the month before the application's."""
    return LifeEventReported(
        event_id=move_id(app.event_id), event_time=app.event_time, region=home, worker=worker,
        kind=LifeEventKind.MOVED_OUT, effective_period=period_name(period_of(app.event_time) - 1),
        reported_on=app.event_time.date(),
    )


def _refused(app: ApplicationSubmitted, worker: str, reason: Reason, message: str) -> ApplicationRejected:
    return ApplicationRejected(
        event_id=f"application.rejected:{app.event_id}", event_time=app.event_time, region=app.regency,
        period=period_name(period_of(app.event_time)), application_id=app.application_id, worker=worker,
        reason=str(reason), message=message,
    )


def _moved(app: ApplicationSubmitted, answer: PersonReleased) -> PersonMoved:
    return PersonMoved(
        event_id=f"person.moved:{answer.move_id}", event_time=app.event_time, region=app.regency,
        period=period_name(period_of(app.event_time)), worker=answer.worker,
        application_id=app.application_id, from_region=answer.region, move_id=answer.move_id,
        membership_since=answer.membership_since, covered_through=answer.covered_through,
        months_of_membership=answer.months_of_membership,
    )
