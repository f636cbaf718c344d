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
``null_value``                 the record has no value at all (a tombstone)
=============================  =================================================

Unknown fields are ignored (a newer producer may add them).

``decode_input`` adds what a record's place says about it (``wrong_topic``,
``wrong_key``), and ``dead_letter`` builds the dead letter of any record,
whatever its bytes, small enough for the dead-letter topic to take.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, PlainSerializer, TypeAdapter, ValidationError, WrapSerializer

from models.errors import DecodeError, JaringError
from models.events import (
    ApplicationSubmitted,
    DeadLetter,
    Event,
    Input,
    LifeEventReported,
    MonthTick,
    PaymentReported,
    PledgeSubmitted,
    RefundSettled,
    RegistrationConfirmed,
    RegistrationRejected,
    region_of,
)

__all__ = [
    "INPUT_TYPES",
    "INVALID_FIELD",
    "MESSAGE_MAX_CHARS",
    "NOT_JSON",
    "NULL_VALUE",
    "RECORD_OVERHEAD",
    "RECORD_TOO_LARGE",
    "UNKNOWN_TYPE",
    "UNSUPPORTED_SCHEMA_VERSION",
    "WRONG_KEY",
    "WRONG_TOPIC",
    "dead_letter",
    "decode",
    "decode_input",
    "dumps",
    "embedded",
    "encode",
    "encode_dumped",
    "fits",
    "is_plain",
    "kept",
    "loads",
]

NOT_JSON = "not_json"
UNKNOWN_TYPE = "unknown_type"
UNSUPPORTED_SCHEMA_VERSION = "unsupported_schema_version"
INVALID_FIELD = "invalid_field"
NULL_VALUE = "null_value"
WRONG_TOPIC = "wrong_topic"
WRONG_KEY = "wrong_key"
RECORD_TOO_LARGE = "record_too_large"

INPUT_TYPES: tuple[type[Input], ...] = (
    ApplicationSubmitted, PledgeSubmitted, MonthTick,
    RegistrationConfirmed, RegistrationRejected, PaymentReported, RefundSettled, LifeEventReported,
)
"""Every input type: what the region log may hold."""

RECORD_OVERHEAD = 128
"""Bytes a Kafka record batch holding one record adds to its value: the batch header
(61), the record's framing (at most 21 with its length varints) and a key of up to 36
bytes (a regency code is 5). A topic's ``max.message.bytes`` bounds that whole batch."""

MESSAGE_MAX_CHARS = 1_000
"""A dead letter's message is cut to this many characters (ours are one sentence)."""

_EVENTS: TypeAdapter[Event] = TypeAdapter(Event)
_OPTIONS = orjson.OPT_UTC_Z


def dumps(obj: Any) -> bytes:
    """Any JSON-able value (dates, enums, dataclasses included) to compact JSON bytes, ``kept``:
    what ``dumps`` writes may be held (table records, journals), so it holds its own size."""
    return kept(orjson.dumps(obj, option=_OPTIONS))


def kept(data: bytes) -> bytes:
    """``data`` in a bytes object of its own size, for a value held in memory.

    orjson writes into a buffer of 4 KiB or more and returns that buffer as the bytes object,
    so a 300-byte person-index record held 4 KiB: at a million people, 4 GB of a worker's
    memory was slack (tracemalloc: 4,098 bytes traced per 540-byte value kept). ``encode``'s
    outputs, sent and dropped, are not copied (a close encodes one per covered worker); one
    that is kept goes through here. ``tests/unit/models/test_codec_kept.py``."""
    return b"".join((data, b""))


def loads(raw: bytes | str) -> Any:
    """JSON bytes to Python values; ``DecodeError(not_json)`` on anything else."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(NOT_JSON, f"not valid JSON ({exc}); send a UTF-8 JSON object") from None


def embedded(raw: bytes) -> Any:
    """JSON bytes to embed as they are in a value ``dumps`` writes (not parsed, not re-encoded)."""
    return orjson.Fragment(raw)


def encode(event: Event) -> bytes:
    """An event to its wire form.

    A plain model's (``is_plain``) fields go to orjson as they are, its ``__dict__``, nested
    models too: ``model_dump`` would rebuild the same values in the same order (field order is
    the ``__dict__``'s) only for orjson to walk them again, about half of an output's encoding
    in a month close, which encodes one per covered worker. Others (a ``model_serializer`` that
    drops fields) are dumped first. ``tests/unit/models/test_codec_plain.py`` holds both ways
    byte-identical for every output of the golden logs."""
    if is_plain(type(event)):
        return orjson.dumps(event.__dict__, default=_nested, option=_OPTIONS)
    return encode_dumped(event)


def encode_dumped(event: BaseModel) -> bytes:
    """The wire form through ``model_dump``: ``encode``'s for a model that is not plain, and what it
    must equal for one that is (``tests/unit/models/test_codec_plain.py`` compares)."""
    return orjson.dumps(event.model_dump(mode="python"), option=_OPTIONS)


_PLAIN: dict[type[BaseModel], bool] = {}


def is_plain(cls: type[BaseModel]) -> bool:
    """Whether ``model_dump(mode="python")`` of ``cls`` is its ``__dict__``, field for field: no
    serializer of its own or on a field, no computed, excluded or renamed field."""
    plain = _PLAIN.get(cls)
    if plain is None:
        decorators = cls.__pydantic_decorators__
        plain = _PLAIN[cls] = not (
            decorators.model_serializers or decorators.field_serializers or cls.__pydantic_computed_fields__
            or cls.model_config.get("serialize_by_alias")
            or any(info.exclude or info.serialization_alias is not None or info.alias is not None
                   or any(isinstance(m, PlainSerializer | WrapSerializer) for m in info.metadata)
                   for info in cls.model_fields.values())
        )
    return plain


def _nested(value: Any) -> Any:
    """orjson's hook for what it cannot write itself: a nested model, as ``encode`` writes one."""
    if isinstance(value, BaseModel):
        return value.__dict__ if is_plain(type(value)) else value.model_dump(mode="python")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def decode(raw: bytes | str | None) -> Event:
    """Wire bytes to an event, or ``DecodeError`` with one of the codes above.

    ``None`` is a record without a value (Kafka's NULL, a tombstone), which
    Faust hands over as ``None`` with the raw serializer.
    """
    if raw is None:
        raise DecodeError(NULL_VALUE, "the record has no value (a tombstone); send the event as JSON")
    try:
        return _EVENTS.validate_json(raw)
    except ValidationError as exc:
        raise _explain(exc) from None


def decode_input(
    raw: bytes | None, key: bytes | None, expected: tuple[type[Input], ...], place: str
) -> Input:
    """An input record read at ``place``: its value decoded, of an ``expected`` type, keyed by its region.

    The key must be the regency code the event names: one region's records
    share a partition only if they share a key, and Kafka keeps the order of
    a partition alone, so a record keyed otherwise would be sequenced against
    the region's others in an order nobody chose. The key is not echoed in
    the message: a producer might have keyed by a NIK.
    """
    decoded = decode(raw)
    if not isinstance(decoded, expected):
        raise JaringError(WRONG_TOPIC, f"{decoded.type} does not belong on {place}; send it to its own topic")
    region = region_of(decoded)
    if key != region.encode():
        found = "has no key" if key is None else "has a key other than its event's region"
        raise JaringError(WRONG_KEY, f"the record {found}; key it by the regency code its event names "
                                     f"({region!r}), so that its region's records keep one order")
    return decoded


def fits(value_size: int, max_message_bytes: int) -> bool:
    """Whether a record of ``value_size`` bytes, alone in its batch, fits a topic's ``max.message.bytes``."""
    return value_size + RECORD_OVERHEAD <= max_message_bytes


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
    raw: bytes | None,
    error: JaringError,
    event_time: datetime,
    max_message_bytes: int,
) -> DeadLetter:
    """The dead letter for a record at (topic, partition, offset); its id is that position.

    Whatever the record holds, the encoded dead letter fits a topic whose
    ``max.message.bytes`` is ``max_message_bytes`` (``fits``): an original
    too large for that (a 900 KB record grows a third in base64) is kept as
    its longest prefix that fits, marked ``truncated``, with the whole one's
    length and SHA-256. A NULL value (``raw`` is ``None``) is marked
    ``original_null``, so it is never mistaken for an empty one.

    ``event_time`` is the message's own timestamp (the broker's), never a clock
    read here, so a replay dead-letters identically.
    """
    original = b"" if raw is None else bytes(raw)
    message = error.message
    if len(message) > MESSAGE_MAX_CHARS:
        message = message[: MESSAGE_MAX_CHARS - 1] + "…"
    fields: dict[str, Any] = {
        "event_id": f"deadletter:{source_topic}:{partition}:{offset}",
        "event_time": event_time,
        "source_topic": source_topic,
        "partition": partition,
        "offset": offset,
        "reason": error.code,
        "message": message,
        "original_size": len(original),
        "original_sha256": hashlib.sha256(original).hexdigest(),
        "original_null": raw is None,
    }
    whole = DeadLetter(**fields, original_b64=_b64(original))
    room = max_message_bytes - RECORD_OVERHEAD
    if len(encode(whole)) <= room:
        return whole
    # base64 is 4 ASCII characters per 3 bytes, which JSON writes as they are:
    # the envelope's length plus 4/3 of the prefix kept is the letter's length.
    envelope = len(encode(DeadLetter(**fields, original_b64="", truncated=True)))
    if envelope > room:
        raise ValueError(f"deadletter_bound_too_small: a dead letter needs {envelope + RECORD_OVERHEAD} "
                         f"bytes without its original, more than max_message_bytes={max_message_bytes}")
    kept = (room - envelope) // 4 * 3
    return DeadLetter(**fields, original_b64=_b64(original[:kept]), truncated=True)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
