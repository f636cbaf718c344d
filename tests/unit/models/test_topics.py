"""The routing table (``models.topics``): one topic per event type, keys as documented, nothing unrouted."""

from __future__ import annotations

import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from models import events as ev
from models.codec import INPUT_TYPES, dead_letter
from models.errors import JaringError, UnroutableError
from models.events import DeadLetter, Event, Input, OutputEvent, pledge_key
from models.events.base import EventBase
from models.topics import (
    INPUTS,
    OUTPUTS,
    REGION_LOG,
    ROUTES,
    TOPICS,
    Key,
    Role,
    carrying,
    inputs_on,
    route,
    topic_of,
)
from tests.unit.dashboard.dashboard_recording import story
from tests.unit.factories import REGION
from tests.unit.models.test_codec import one_of_each_type

ROOT = Path(__file__).resolve().parents[3]
EVENT_TYPES: tuple[type, ...] = typing.get_args(typing.get_args(Event)[0])


def test_every_event_type_has_exactly_one_route() -> None:
    carried_by = {kind: [t.name for t in TOPICS if t.role is not Role.INTERNAL and kind in t.carries]
                  for kind in EVENT_TYPES}
    assert {kind.__name__: names for kind, names in carried_by.items() if len(names) != 1} == {}
    assert set(ROUTES) == set(EVENT_TYPES)


def test_each_input_arrives_on_its_own_input_topic_and_is_copied_to_the_region_log() -> None:
    assert {kind: topic_of(kind).name for kind in typing.get_args(Input)} == {
        ev.ApplicationSubmitted: "applications.v1",
        ev.PledgeSubmitted: "pledges.v1",
        ev.MonthTick: "clock.v1",
        ev.RegistrationConfirmed: "registrations.v1",
        ev.RegistrationRejected: "registrations.v1",
        ev.PaymentReported: "payments.v1",
        ev.RefundSettled: "payments.v1",
        ev.LifeEventReported: "life-events.v1",
    }
    assert all(topic_of(kind).role is Role.INPUT for kind in typing.get_args(Input))
    assert inputs_on(REGION_LOG) == INPUT_TYPES
    assert [inputs_on(t) for t in INPUTS] == [
        (ev.ApplicationSubmitted,), (ev.PledgeSubmitted,), (ev.MonthTick,),
        (ev.RegistrationConfirmed, ev.RegistrationRejected), (ev.PaymentReported, ev.RefundSettled),
        (ev.LifeEventReported,),
    ]
    assert all(inputs_on(t) == () for t in OUTPUTS)


def test_outputs_go_where_the_documented_table_says() -> None:
    assert {kind: topic_of(kind).name for kind in typing.get_args(OutputEvent)} == {
        ev.ApplicationWaiting: "application-status.v1",
        ev.ApplicationRejected: "application-status.v1",
        ev.CoverageCommitted: "coverage.v1",
        ev.CoverageActivated: "coverage.v1",
        ev.CoverageRenewed: "coverage.v1",
        ev.CoverageExpired: "coverage.v1",
        ev.CoverageCancelled: "coverage.v1",
        ev.CoverageLapsed: "coverage.v1",
        ev.RegistrationUnmatched: "coverage.v1",
        ev.PledgeAccepted: "pledge-status.v1",
        ev.PledgeRejected: "pledge-status.v1",
        ev.PledgeExhausted: "pledge-status.v1",
        ev.PledgeReopened: "pledge-status.v1",
        ev.PledgeExpired: "pledge-status.v1",
        ev.FundingMovement: "funding.v1",
        ev.PayerMovement: "funding.v1",
        ev.BillLine: "billing.v1",
        ev.BillIssued: "billing.v1",
        ev.PaymentReconciled: "billing.v1",
        ev.RefundOwed: "billing.v1",
        ev.RefundClosed: "billing.v1",
        ev.RefundRejected: "billing.v1",
        ev.LifeEventRecorded: "application-status.v1",
        ev.LifeEventRejected: "application-status.v1",
        ev.CoverageEnded: "coverage.v1",
        ev.PersonReleased: "persons.v1",
        ev.PersonMoved: "persons.v1",
    }
    assert topic_of(DeadLetter).name == "deadletter.v1"
    access = topic_of(ev.AccessRecorded)
    assert (access.name, access.role, access.key) == ("access-log.v1", Role.RECORD, Key.PAYER)
    for kind in (ev.WebhookRegistered, ev.WebhookRemoved, ev.WebhookReplayRequested):
        assert (topic_of(kind).name, topic_of(kind).key) == ("webhooks.v1", Key.SPONSOR)
    for kind in (ev.WebhookAttempted, ev.WebhookReplayed):
        assert (topic_of(kind).name, topic_of(kind).key) == ("webhook-deliveries.v1", Key.SPONSOR)


def test_the_key_each_topic_names_exists_on_every_type_it_carries() -> None:
    needs: dict[Key, tuple[set[str], ...]] = {
        Key.REGION: ({"region"}, {"regency"}), Key.PLEDGE: ({"sponsor_id", "pledge_id"},), Key.NONE: (set(),),
        Key.PAYER: ({"payer_id"},), Key.SPONSOR: ({"sponsor_id"},), Key.PERSON: ({"worker"}, {"nik"}),
    }
    for topic in TOPICS:
        for kind in topic.carries:
            assert any(fields <= set(kind.model_fields) for fields in needs[topic.key]), (topic.name, kind)


def test_every_event_of_a_story_is_keyed_by_region_by_pledge_or_not_at_all() -> None:
    """Keys of real events: the region, but a pledge's statuses by its key and dead letters by none."""
    events: list[Event] = [e for e in one_of_each_type() if not isinstance(e, DeadLetter)]
    assert {type(e) for e in events} == set(EVENT_TYPES) - {DeadLetter}
    for e in events:
        name, key = route(e)
        if isinstance(e, ev.PledgeAccepted | ev.PledgeRejected | ev.PledgeExhausted | ev.PledgeReopened
                      | ev.PledgeExpired):
            assert key == pledge_key(e.sponsor_id, e.pledge_id).encode()
        elif isinstance(e, ev.ApplicationSubmitted):
            assert key == e.regency.encode()
        elif isinstance(e, ev.AccessRecorded):
            assert key == e.payer_id.encode()
        elif isinstance(e, ev.WebhookEvent):
            assert key == e.sponsor_id.encode()
        elif isinstance(e, ev.PersonReleased | ev.PersonMoved):
            assert key == e.worker.encode()
        else:
            assert key == e.region.encode()
        assert name == topic_of(type(e)).name
    letter = dead_letter(source_topic="t", partition=0, offset=1, raw=b"x", event_time=events[0].event_time,
                         error=JaringError("not_json", "x"), max_message_bytes=1_000_000)
    assert route(letter) == ("deadletter.v1", None)


def test_an_event_type_no_topic_carries_cannot_be_routed() -> None:
    class Unannounced(EventBase):
        type: typing.Literal["unannounced"] = "unannounced"
        region: str

    event = Unannounced(event_id="e-1", event_time=story()[0].event_time, region=REGION)
    with pytest.raises(UnroutableError, match=r"^unroutable_event: no topic carries Unannounced"):
        route(event)  # type: ignore[arg-type]
    with pytest.raises(UnroutableError):
        carrying(Unannounced)  # type: ignore[arg-type]


def test_readers_subscribe_to_the_topics_of_the_types_they_fold() -> None:
    folded = carrying(ev.PledgeSubmitted, ev.FundingMovement, ev.CoverageExpired, ev.PledgeRejected)
    assert [t.name for t in folded] == ["pledges.v1", "coverage.v1", "pledge-status.v1", "funding.v1"]
    assert [t.name for t in OUTPUTS] == [
        "application-status.v1", "coverage.v1", "pledge-status.v1", "funding.v1", "billing.v1",
        "deadletter.v1", "persons.v1",
    ]


def test_the_worker_creates_every_topic_of_the_table() -> None:
    """``jaring topics create --dry-run`` lists what the worker creates (``app.required_topics()``)."""
    env = {**os.environ, "JARING_NAMESPACE": "routing"}
    listed = subprocess.run(
        [sys.executable, "-m", "jaring", "topics", "create", "--dry-run"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    planned = {line.split()[1] for line in listed.splitlines() if line.startswith("planned")}
    assert {f"routing.{t.name}" for t in TOPICS} <= planned
