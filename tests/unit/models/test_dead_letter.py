"""Dead letters for any bytes: bounded to the topic's record size, NULL told from empty, old readers served.

``models.codec.dead_letter`` is pure; the size a Kafka batch gives the
encoded letter is measured with aiokafka's own record-batch builder, the
code that frames it on the wire (no broker needed for that).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from models import codec
from models.errors import DecodeError, JaringError
from models.events import ApplicationSubmitted, DeadLetter
from models.topics import TOPICS, Role
from tests.unit.factories import REGION, T0, application, pledge, tick

KAFKA_DEFAULT = 1_048_588
"""A topic's ``max.message.bytes`` when neither the broker nor the topic sets one."""


def letter_of(raw: bytes | None, max_message_bytes: int = 1_000_000, **overrides: Any) -> DeadLetter:
    args: dict[str, Any] = {
        "source_topic": "jaring.applications.v1", "partition": 2, "offset": 41, "raw": raw,
        "error": DecodeError("not_json", "not valid JSON"), "event_time": T0,
        "max_message_bytes": max_message_bytes,
    }
    args.update(overrides)
    return codec.dead_letter(**args)


def batch_size(value: bytes, key: bytes | None = None) -> int:
    """Bytes of a Kafka record batch holding this one record (what ``max.message.bytes`` bounds)."""
    builder = DefaultRecordBatchBuilder(2, 0, 0, -1, -1, -1, 1 << 30)
    builder.append(0, timestamp=1_767_225_600_000, key=key, value=value, headers=[])
    return int(builder.size())


def sized(pattern: bytes, size: int) -> bytes:
    return (pattern * (size // len(pattern) + 1))[:size]


@given(
    pattern=st.binary(min_size=1, max_size=40),
    size=st.integers(0, 400_000),
    null=st.booleans(),
    max_message_bytes=st.integers(16_384, 300_000),
    message=st.text(max_size=3_000),
    namespace=st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True),
    topic=st.sampled_from([t.name for t in TOPICS if t.role is not Role.OUTPUT]),  # what the engine reads
    partition=st.integers(0, 1_023),
    offset=st.integers(0, 2**63 - 1),
)
def test_any_record_makes_a_dead_letter_that_fits_the_topic_with_its_true_length_and_hash(
    pattern: bytes, size: int, null: bool, max_message_bytes: int, message: str,
    namespace: str, topic: str, partition: int, offset: int,
) -> None:
    raw = None if null else sized(pattern, size)
    original = raw or b""
    letter = letter_of(
        raw, max_message_bytes, source_topic=f"{namespace}.{topic}", partition=partition, offset=offset,
        error=JaringError("engine_error", message),
    )
    wire = codec.encode(letter)

    assert len(wire) + codec.RECORD_OVERHEAD <= max_message_bytes
    assert batch_size(wire) <= max_message_bytes  # as Kafka frames it, which is what the broker checks
    assert codec.decode(wire) == letter
    assert letter.original_size == len(original)
    assert letter.original_sha256 == hashlib.sha256(original).hexdigest()
    assert letter.original_null is null
    kept = base64.b64decode(letter.original_b64)
    assert original.startswith(kept)
    if letter.truncated:
        assert len(kept) < len(original)
        # the longest prefix that fits: three bytes more would not
        assert len(wire) + 4 + codec.RECORD_OVERHEAD > max_message_bytes
    else:
        assert kept == original
    assert len(letter.message) <= codec.MESSAGE_MAX_CHARS


def test_a_900_kb_record_is_cut_to_a_prefix_with_its_whole_length_and_hash() -> None:
    raw = sized(b"\x00\xff{garbage}", 900_000)  # its base64 alone is 1.2 MB: over Kafka's default record size
    letter = letter_of(raw)

    assert letter.truncated
    assert (letter.original_size, letter.original_sha256) == (900_000, hashlib.sha256(raw).hexdigest())
    assert raw.startswith(base64.b64decode(letter.original_b64))
    assert 990_000 < len(codec.encode(letter)) <= 1_000_000 - codec.RECORD_OVERHEAD
    assert batch_size(codec.encode(letter)) <= KAFKA_DEFAULT


def test_a_small_record_is_kept_whole() -> None:
    letter = letter_of(b"\x00garbage")
    assert not letter.truncated and base64.b64decode(letter.original_b64) == b"\x00garbage"


def test_a_null_value_is_told_from_an_empty_one() -> None:
    null, empty = letter_of(None, error=DecodeError("null_value", "no value")), letter_of(b"")
    assert null.original_null and not empty.original_null
    for letter in (null, empty):
        assert (letter.original_b64, letter.original_size, letter.truncated) == ("", 0, False)
        assert letter.original_sha256 == hashlib.sha256(b"").hexdigest()
    assert codec.decode(codec.encode(null)) != codec.decode(codec.encode(empty))


def test_a_long_message_is_cut() -> None:
    letter = letter_of(b"x", error=JaringError("engine_error", "é" * 5_000))
    assert len(letter.message) == codec.MESSAGE_MAX_CHARS and letter.message.endswith("…")


def test_a_bound_too_small_for_the_envelope_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^deadletter_bound_too_small"):
        letter_of(b"x", max_message_bytes=300)


def test_a_dead_letter_from_before_the_new_fields_still_parses() -> None:
    old = codec.loads(codec.encode(letter_of(b"{oops")))
    for field in ("original_size", "original_sha256", "original_null", "truncated"):
        del old[field]
    letter = codec.decode(codec.dumps(old))
    assert isinstance(letter, DeadLetter)
    assert (letter.original_size, letter.original_sha256, letter.original_null, letter.truncated) == (
        None, None, False, False
    )
    assert base64.b64decode(letter.original_b64) == b"{oops"


class OldDeadLetter(BaseModel):
    """A reader built against schema version 1 before the new fields (the same model rules as ours)."""

    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")
    type: str
    schema_version: int
    event_id: str
    event_time: datetime
    source_topic: str
    partition: int
    offset: int
    reason: str
    message: str
    original_b64: str


def test_an_old_reader_parses_a_new_dead_letter_even_a_cut_or_null_one() -> None:
    for letter in (letter_of(b"x" * 2_000_000), letter_of(None)):
        old = OldDeadLetter.model_validate_json(codec.encode(letter))
        assert (old.schema_version, old.original_b64, old.offset) == (1, letter.original_b64, 41)
        assert old.event_time == datetime(2025, 1, 10, 1, 0, tzinfo=UTC)


def test_fits_is_the_kafka_batch_bound() -> None:
    limit = 100_000
    biggest = limit - codec.RECORD_OVERHEAD
    assert codec.fits(biggest, limit) and not codec.fits(biggest + 1, limit)
    # The router's region-log copy carries the region as its key.
    assert batch_size(b"x" * biggest, key=REGION.encode()) <= limit


INPUT = (ApplicationSubmitted,)


def code_of(raw: bytes | None, key: bytes | None, expected: tuple[type, ...] = INPUT) -> str:
    with pytest.raises(JaringError) as raised:
        codec.decode_input(raw, key, expected, "jaring.applications.v1")
    return raised.value.code


def test_decode_input_names_what_is_wrong_with_a_record() -> None:
    valid = codec.encode(application())
    assert code_of(None, REGION.encode()) == "null_value"
    assert code_of(b"", REGION.encode()) == "not_json"
    assert code_of(b"\xff\xfe\x00binary", REGION.encode()) == "not_json"
    assert code_of(codec.encode(tick("2025-01")), REGION.encode()) == "wrong_topic"
    assert code_of(valid, None) == "wrong_key"
    assert code_of(valid, b"74.01") == "wrong_key"
    assert code_of(valid, b"74.71 ") == "wrong_key"
    assert codec.decode_input(valid, REGION.encode(), INPUT, "jaring.applications.v1") == codec.decode(valid)
    assert codec.decode_input(codec.encode(pledge()), REGION.encode(), codec.INPUT_TYPES, "the region log")


def test_a_wrong_key_is_not_echoed_it_may_be_personal_data() -> None:
    nik = b"7471012111710001"
    with pytest.raises(JaringError) as raised:
        codec.decode_input(codec.encode(application()), nik, INPUT, "jaring.applications.v1")
    assert nik.decode() not in str(raised.value) and "'74.71'" in raised.value.message
