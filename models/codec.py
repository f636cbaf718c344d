"""Bytes on the wire: the only module that speaks orjson.

``encode`` writes an event as compact JSON (UTC times with ``Z``);
``decode`` reads one, choosing the model by its ``type`` field, and turns
every failure into a ``DecodeError`` with a stable code the stream layer
puts on the dead letter:

=============================  =================================================
code                           meaning
=============================  =================================================
``not_json``                   not UTF-8 JSON, or not a JSON object
``unknown_type``               ``type`` missing or not one this version knows
``unsupported_schema_version`` a known type at a ``schema_version`` we cannot read
``invalid_field``              a field is missing or has the wrong type or value;
                               the message names the field path
=============================  =================================================

Unknown fields are ignored (a newer producer may add them).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from models.errors import DecodeError, JaringError
from models.events import DeadLetter, Event

__all__ = [
    "INVALID_FIELD",
    "NOT_JSON",
    "UNKNOWN_TYPE",
    "UNSUPPORTED_SCHEMA_VERSION",
    "dead_letter",
    "decode",
    "dumps",
    "encode",
    "loads",
]

NOT_JSON = "not_json"
UNKNOWN_TYPE = "unknown_type"
UNSUPPORTED_SCHEMA_VERSION = "unsupported_schema_version"
INVALID_FIELD = "invalid_field"

_EVENTS: TypeAdapter[Event] = TypeAdapter(Event)
_OPTIONS = orjson.OPT_UTC_Z


def dumps(obj: Any) -> bytes:
    """Any JSON-able value (dates, enums, dataclasses included) to compact JSON bytes."""
    return orjson.dumps(obj, option=_OPTIONS)


def loads(raw: bytes | str) -> Any:
    """JSON bytes to Python values; ``DecodeError(not_json)`` on anything else."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(NOT_JSON, f"not valid JSON ({exc}); send a UTF-8 JSON object") from None


def encode(event: Event) -> bytes:
    """An event to its wire form."""
    return orjson.dumps(event.model_dump(mode="python"), option=_OPTIONS)


def decode(raw: bytes | str) -> Event:
    """Wire bytes to an event, or ``DecodeError`` with one of the codes above."""
    try:
        return _EVENTS.validate_json(raw)
    except ValidationError as exc:
        raise _explain(exc) from None


def _explain(exc: ValidationError) -> DecodeError:
    """The first error, mapped to a stable code and a sentence saying what to fix."""
    error = exc.errors(include_url=False, include_input=False)[0]
    kind, loc = error["type"], error["loc"]
    path = ".".join(str(part) for part in loc[1:]) if loc else ""
    if kind == "json_invalid":
        return DecodeError(NOT_JSON, f"not valid JSON ({error['msg']}); send a UTF-8 JSON object")
    if kind == "model_attributes_type" or (not loc and kind.endswith("_type")):
        return DecodeError(NOT_JSON, "expected a JSON object with a 'type' field")
    if kind == "union_tag_not_found":
        return DecodeError(UNKNOWN_TYPE, "the 'type' field is missing; name the event type")
    if kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag", "?")
        return DecodeError(
            UNKNOWN_TYPE, f"unknown event type {tag!r}; upgrade this consumer or fix the producer's 'type'"
        )
    if path == "schema_version" and kind == "literal_error":
        return DecodeError(
            UNSUPPORTED_SCHEMA_VERSION,
            f"{loc[0]} is readable at schema_version 1 only; upgrade this consumer",
        )
    return DecodeError(INVALID_FIELD, f"field '{path}' of {loc[0]}: {error['msg']}; fix it and resend")


def dead_letter(
    *,
    source_topic: str,
    partition: int,
    offset: int,
    raw: bytes,
    error: JaringError,
    event_time: datetime,
) -> DeadLetter:
    """The dead letter for a message at (topic, partition, offset); its id is that position.

    ``event_time`` is the message's own timestamp (the broker's), never a clock
    read here, so a replay dead-letters identically.
    """
    return DeadLetter(
        event_id=f"deadletter:{source_topic}:{partition}:{offset}",
        event_time=event_time,
        source_topic=source_topic,
        partition=partition,
        offset=offset,
        reason=error.code,
        message=error.message,
        original_b64=base64.b64encode(raw).decode("ascii"),
    )
