"""Where each output event goes, and sending a step's outputs durably."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import faust

from models.codec import encode
from models.events import (
    ApplicationRejected,
    ApplicationWaiting,
    CoverageActivated,
    CoverageExpired,
    CoverageRenewed,
    DeadLetter,
    FundingMovement,
    OutputEvent,
)
from streams import catalogue

__all__ = ["destination", "publish"]


def destination(event: OutputEvent | DeadLetter) -> tuple[faust.TopicT, bytes | None]:
    """The topic and key of an output: by region, except pledge status (by pledge)."""
    if isinstance(event, DeadLetter):
        return catalogue.deadletter, None
    if isinstance(event, ApplicationWaiting | ApplicationRejected):
        return catalogue.application_status, event.region.encode()
    if isinstance(event, CoverageActivated | CoverageRenewed | CoverageExpired):
        return catalogue.coverage, event.region.encode()
    if isinstance(event, FundingMovement):
        return catalogue.funding, event.region.encode()
    return catalogue.pledge_status, event.pledge_id.encode()


async def publish(events: Sequence[OutputEvent | DeadLetter]) -> None:
    """Send every event and wait until the broker has each one (acks=all)."""
    pending = []
    for event in events:
        topic, key = destination(event)
        pending.append(await topic.send(key=key, value=encode(event)))
    if pending:
        await asyncio.gather(*pending)
