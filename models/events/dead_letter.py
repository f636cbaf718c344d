"""The dead letter: what could not be read or handled, kept with its reason and original bytes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from models.events.base import EventBase

__all__ = ["DeadLetter"]


class DeadLetter(EventBase):
    """What could not be read or handled, with the reason and the original bytes.

    ``original_b64`` may contain personal data (an application's NIK and
    name): the dead-letter topic needs the access control of the input topics.

    A dead letter must fit the topic's record size whatever it holds, so a
    large original is kept as a prefix (``truncated``), with its length and
    hash to match it against the producer's copy (``models.codec.dead_letter``).
    The fields after ``original_b64`` came later in schema version 1, with
    defaults, so letters written before them still parse (their size and hash
    are then unknown: ``None``).
    """

    type: Literal["deadletter"] = "deadletter"
    source_topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    reason: str
    message: str
    original_b64: str
    """The record's value in base64: all of it, or its first bytes when ``truncated``; empty for NULL."""
    original_size: int | None = Field(None, ge=0)
    """Bytes in the record's value (0 for an empty or a NULL one)."""
    original_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    """Hex SHA-256 of the record's whole value (of no bytes for a NULL one)."""
    original_null: bool = False
    """The record had no value at all (a NULL value, a tombstone), as opposed to an empty one."""
    truncated: bool = False
    """``original_b64`` holds only a prefix: the whole would not fit the dead-letter topic's records."""
