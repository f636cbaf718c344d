"""What the API records when it hands out personal data (topic ``access-log.v1``, keyed by payer).

The payer's registration list is the one place NIK and name leave the
input side. Each download is recorded before a byte of it is sent: who
asked (key id, role, subject), for which payer, how many rows, in which
format, and when. The record itself never holds a NIK, a name or a
pseudonym: an access log read by many must not become a copy of the data.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from models.events.base import EventBase, Identifier

__all__ = ["AccessRecorded", "AccessResource"]

AccessResource = Literal["registrations", "applications"]
"""What was read: the registration list (NIK and name), or the officer's desk (one worker's status,
asked by application id or by NIK)."""


class AccessRecorded(EventBase):
    """One download of personal data, by one API key, for one payer."""

    type: Literal["access.recorded"] = "access.recorded"
    key_id: Identifier
    role: str
    """The key's role (``payer``, or ``officer`` acting for a payer)."""
    subject: Identifier
    """The key's subject: the payer itself, or the officer's desk."""
    payer_id: Identifier | None = None
    """The payer the download was for; None for a desk lookup (no payer's data)."""
    region: str | None = None
    """The regency a desk lookup answered about (None when it found nobody, or for a download)."""
    resource: AccessResource
    format: Literal["json", "csv"]
    rows: int = Field(ge=0)
    """Rows handed out (one per pending registration found with its application; a desk lookup: one per
    worker answered, 0 when none was found)."""
