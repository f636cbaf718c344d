"""The wire format: round trips, tolerance of newer fields, and stable error codes."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import codec, persons
from models.eligibility import CityPolicy
from models.errors import DecodeError
from models.events import (
    AccessRecorded,
    Event,
    MonthTick,
    PersonReleased,
    Targeting,
    WebhookAttempted,
    WebhookRegistered,
    WebhookRemoved,
    WebhookReplayed,
    WebhookReplayRequested,
)
from models.matcher import RegionMatcher
from models.nik import Sex, pseudonym
from models.occupations import Occupation
from tests.unit.factories import (
    KEY,
    REGION,
    T0,
    application,
    confirmed,
    life_event,
    payment,
    pledge,
    registration_rejected,
    settled,
    tick,
)

SERVES_TWO = CityPolicy(served_regencies=("74.71", "74.72"))


def one_of_each_type() -> list[Any]:
    """A real instance of every event type, produced the way production produces them."""
    m = RegionMatcher(REGION, KEY)
    events: list[Any] = []

    def feed(*inputs: Any) -> None:
        for event in inputs:
            events.append(event)
            events.extend(m.handle(event).outputs)

    feed(
        application(),
        application(),
        application(welfare_decile=9),
        # two one-month seats for two workers: both committed, the pledge is exhausted
        pledge(amount_idr=2 * 16_800 + 100, months=1),
        pledge(amount_idr=1, pledge_id="too-small"),
        # women only, valid for January: nobody it admits, so it expires with its money returned
        pledge(valid_until=date(2025, 1, 31), targeting=Targeting(sexes=(Sex.FEMALE,))),
    )
    first, second = m.committed()
    # one confirmed, one rejected (the pledge reopens), one answer for no seat at all; the confirmed
    # worker's term expires at the close and renews on the reopened seat
    feed(confirmed(first), registration_rejected(second), confirmed("nobody"), tick("2025-01"))
    bill = m.snapshot().bills[0].bill_id
    over = payment(bill, 20_000)
    feed(over, payment(bill, 20_000, payment_id=over.payment_id))
    refund = m.snapshot().refunds[0].refund_id
    feed(settled(refund, 3_200), settled(refund, 1))
    # life events: a claim counted, a covered worker dies (their seat's months go back to the pledge),
    # a report for nobody
    covered = m.covered()[0]
    feed(life_event(covered, "accident_claim", "2025-02"), life_event(covered, "deceased", "2025-02"),
         life_event(None, "moved_out", "2025-02", application_id="nobody"))
    # one person applying in another regency (``models.persons``): the index asks this region to let them
    # go, the region answers ``person.released``, the index moves them
    mover = application(serial=55)
    feed(mover)
    worker = pseudonym(mover.nik, KEY)
    home, _ = persons.claim(None, worker, mover, 0.0, SERVES_TWO)
    elsewhere = mover.model_copy(update={"event_id": "evt-elsewhere", "regency": "74.72",
                                         "district": "74.72.01"})
    moving, [ask] = persons.claim(home, worker, elsewhere, 0.0, SERVES_TWO)
    assert isinstance(ask, persons.AskRelease)
    feed(ask.event)
    [answer] = [e for e in events if isinstance(e, PersonReleased)]
    events.extend(a.event for a in persons.release(moving, answer)[1] if isinstance(a, persons.Say))
    events.append(
        codec.dead_letter(
            source_topic="jaring.applications.v1",
            partition=0,
            offset=7,
            raw=b"{oops",
            error=DecodeError("not_json", "not valid JSON"),
            event_time=T0,
            max_message_bytes=1_000_000,
        )
    )
    # a six-month seat never paid for lapses at the close of its first month + 4
    feed(application(serial=77), pledge(amount_idr=6 * 16_800, months=6))
    feed(confirmed(m.committed()[0]))
    feed(*(tick(f"2025-{n:02d}") for n in range(2, 7)))
    # the API's record of a registration list download
    events.append(AccessRecorded(
        event_id="access.recorded:1", event_time=T0, key_id="k1", role="payer", subject="payer-1",
        payer_id="payer-1", resource="registrations", format="csv", rows=3,
    ))
    # a sponsor's webhook (the API) and its delivery log (``jaring webhooks``)
    events.extend([
        WebhookRegistered(event_id="webhook.registered:1", event_time=T0, sponsor_id="sponsor-1",
                          url="https://csr.example.co.id/jaring", nonce="0" * 32),
        WebhookReplayRequested(
            event_id="webhook.replay:1", event_time=T0, sponsor_id="sponsor-1", parked=True
        ),
        WebhookAttempted(event_id="webhook.attempted:1", event_time=T0, sponsor_id="sponsor-1",
                         delivered_event_id="pledge.accepted:sponsor-1:p1", delivered_type="pledge.accepted",
                         attempt=1, outcome="retrying", error="timeout", next_attempt_at=T0),
        WebhookReplayed(event_id="webhook.replayed:1", event_time=T0, sponsor_id="sponsor-1",
                        request_id="webhook.replay:1", events=0),
        WebhookRemoved(event_id="webhook.removed:1", event_time=T0, sponsor_id="sponsor-1"),
    ])
    by_type: dict[str, Any] = {}
    for e in events:
        by_type.setdefault(e.type, e)
    return list(by_type.values())


EXAMPLES = one_of_each_type()


def test_the_examples_cover_every_event_type() -> None:
    union = get_args(get_args(Event)[0])
    assert {e.__class__ for e in EXAMPLES} == set(union)


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.type)
def test_every_event_type_round_trips(event: Any) -> None:
    assert codec.decode(codec.encode(event)) == event


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.type)
def test_an_unknown_newer_field_is_ignored(event: Any) -> None:
    data = codec.loads(codec.encode(event))
    data["added_in_a_later_release"] = {"anything": [1, 2, 3]}
    assert codec.decode(codec.dumps(data)) == event


def test_times_are_written_in_utc_with_z() -> None:
    assert b'"event_time":"2025-01-10T01:00:00Z"' in codec.encode(application())


def test_an_offset_time_is_read_as_the_same_instant_in_utc() -> None:
    data = codec.loads(codec.encode(tick("2025-01")))
    data["event_time"] = "2025-01-28T08:00:00+08:00"
    decoded = codec.decode(codec.dumps(data))
    assert decoded.event_time == datetime(2025, 1, 28, tzinfo=UTC)
    assert decoded.event_time.utcoffset() == timedelta(0)


def error_code(raw: bytes) -> str:
    with pytest.raises(DecodeError) as raised:
        codec.decode(raw)
    return raised.value.code


def mutated(event: Any, **changes: Any) -> bytes:
    data = codec.loads(codec.encode(event))
    for key, value in changes.items():
        if value is ...:
            del data[key]
        else:
            data[key] = value
    return codec.dumps(data)


@pytest.mark.parametrize("raw", [b"{", b"\xff\xfe", b"", b"[1, 2]", b"42", b'"text"'])
def test_bytes_that_are_not_a_json_object_are_not_json(raw: bytes) -> None:
    assert error_code(raw) == "not_json"


def test_a_missing_type_is_an_unknown_type() -> None:
    assert error_code(mutated(tick("2025-01"), type=...)) == "unknown_type"


def test_a_type_this_version_does_not_know_is_an_unknown_type() -> None:
    assert error_code(mutated(tick("2025-01"), type="month.tock")) == "unknown_type"


def test_a_newer_schema_version_is_unsupported() -> None:
    assert error_code(mutated(tick("2025-01"), schema_version=2)) == "unsupported_schema_version"


def test_a_missing_schema_version_means_version_1() -> None:
    assert codec.decode(mutated(tick("2025-01"), schema_version=...)).schema_version == 1


def test_an_invalid_field_names_its_path() -> None:
    raw = mutated(pledge(), targeting={"sexes": ["X"]})
    with pytest.raises(DecodeError, match=r"^invalid_field: field 'targeting.sexes.0' of pledge.submitted"):
        codec.decode(raw)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dependants", "2"),
        ("breadwinner", 1),
        ("declared_income_idr", 1_500_000.0),
        ("welfare_decile", 11),
        ("submitted_at", "2025-01-10T01:00:00"),
        ("district", "74.71.1"),
        ("event_id", ""),
    ],
)
def test_types_are_strict(field: str, value: Any) -> None:
    assert error_code(mutated(application(), **{field: value})) == "invalid_field"


def test_a_naive_datetime_is_refused_in_python_too() -> None:
    with pytest.raises(ValueError, match="timezone"):
        MonthTick(event_id="t", event_time=datetime(2025, 1, 1), region=REGION, period="2025-01")  # noqa: DTZ001


def test_events_are_frozen() -> None:
    event = tick("2025-01")
    with pytest.raises(ValueError, match="frozen"):
        event.period = "2025-02"  # type: ignore[misc]


def test_a_dead_letter_keeps_the_original_bytes_and_the_reason() -> None:
    letter = codec.dead_letter(
        source_topic="jaring.pledges.v1",
        partition=3,
        offset=99,
        raw=b"\x00garbage",
        error=DecodeError("not_json", "not valid JSON"),
        event_time=T0,
        max_message_bytes=1_000_000,
    )
    assert letter.event_id == "deadletter:jaring.pledges.v1:3:99"
    assert (letter.reason, base64.b64decode(letter.original_b64)) == ("not_json", b"\x00garbage")


def test_loads_refuses_what_is_not_json() -> None:
    with pytest.raises(DecodeError, match=r"^not_json"):
        codec.loads(b"{nope")


@given(
    decile=st.none() | st.integers(1, 10),
    dependants=st.integers(0, 50),
    occupation=st.sampled_from(Occupation),
    sex=st.sampled_from(Sex),
    name=st.text(min_size=1, max_size=50),
    income=st.integers(0, 10**12),
    seconds=st.integers(0, 10**8),
)
def test_any_valid_application_round_trips(
    decile: int | None,
    dependants: int,
    occupation: Occupation,
    sex: Sex,
    name: str,
    income: int,
    seconds: int,
) -> None:
    event = application(
        welfare_decile=decile,
        dependants=dependants,
        occupation=occupation,
        sex=sex,
        name=name,
        declared_income_idr=income,
        submitted_at=T0 + timedelta(seconds=seconds),
    )
    assert codec.decode(codec.encode(event)) == event


@given(
    districts=st.none()
    | st.lists(st.sampled_from(["74.71.01", "74.71.02"]), min_size=1, max_size=2).map(tuple),
    occupations=st.none() | st.lists(st.sampled_from(Occupation), min_size=1, max_size=3).map(tuple),
    sexes=st.none() | st.lists(st.sampled_from(Sex), min_size=1, max_size=2).map(tuple),
    cap=st.none() | st.integers(1, 10),
    extra=st.dictionaries(
        st.text(min_size=1).map(lambda s: "x_" + s), st.integers(-(2**63), 2**63 - 1) | st.text()
    ),
)
def test_any_pledge_round_trips_with_any_extra_fields(
    districts: Any, occupations: Any, sexes: Any, cap: int | None, extra: dict[str, Any]
) -> None:
    event = pledge(
        targeting=Targeting(districts=districts, occupations=occupations, sexes=sexes, max_welfare_decile=cap)
    )
    data = codec.loads(codec.encode(event))
    data.update(extra)
    assert codec.decode(codec.dumps(data)) == event
