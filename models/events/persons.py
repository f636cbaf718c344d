"""One person, one worker: what the person index hears from a region and says of a move.

A NIK is one person across the city: the person index (``models.persons``)
keeps each pseudonym's home region, and an application in a second region
first asks the home region to let the person go (an engine-made
``life_event.reported``, kind ``moved_out``). The home region's matcher
answers ``person.released`` with the worker's benefit-clock history; the
index then hands the application on, carrying that history
(``ApplicationSubmitted.carried``), and says ``person.moved``. Both are keyed
by the pseudonym on ``persons.v1``: never a NIK or a name.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from models.events.base import EventId, Identifier, Model, OutputBase
from models.events.life import PSEUDONYM_PATTERN
from models.periods import Period
from models.regions import RegencyCode

__all__ = ["Carried", "PersonMoved", "PersonReleased", "ReleaseOutcome"]


class Carried(Model):
    """A worker's benefit clocks, carried from the region they left to the one they move to.

    Set only by the engine (the person index): the router dead-letters an
    application that arrives with it, so nobody outside can forge clocks.
    """

    from_region: RegencyCode
    membership_since: Period | None
    """Where unbroken membership began in the old region (None: never covered)."""
    covered_through: Period | None
    """The old region's last month of cover (None: never covered); the new region's cover starts after
    it, and membership continues if the gap is within the lapse rule (``models.matcher``)."""
    months_of_membership: int = Field(ge=0)
    """Months from ``membership_since`` through ``covered_through``: what the benefit clocks counted."""


ReleaseOutcome = Literal["released", "deceased", "refused"]
"""A home region's answer to a move: the person's part there is over (``released``: withdrawn, term
ended, or long over), they died (``deceased``: never covered again), or the region could not end it
(``refused``: the move's month is ahead of its clock, or the claim is too old; their cover there stands)."""


class PersonReleased(OutputBase):
    """A region's answer to the engine's move request ``move_id`` for ``worker`` (the pseudonym)."""

    type: Literal["person.released"] = "person.released"
    worker: str = Field(pattern=PSEUDONYM_PATTERN)
    move_id: EventId
    """The engine's ``life_event.reported`` this answers."""
    outcome: ReleaseOutcome
    membership_since: Period | None
    covered_through: Period | None
    months_of_membership: int = Field(ge=0)


class PersonMoved(OutputBase):
    """A person left ``from_region`` for ``region``: the application went on with their history."""

    type: Literal["person.moved"] = "person.moved"
    worker: str = Field(pattern=PSEUDONYM_PATTERN)
    application_id: Identifier
    from_region: RegencyCode
    move_id: EventId
    membership_since: Period | None
    covered_through: Period | None
    months_of_membership: int = Field(ge=0)
