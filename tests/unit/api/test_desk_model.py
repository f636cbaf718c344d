"""The officer's desk fold against the pure core: fed a region's outputs (and the applications and
pledges it reads), in any interleaving of topics, it holds the matcher's own waiting list, in the
matcher's order, and every worker's status as the matcher has it."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.desk_model import DeskModel, WorkerFacts
from models.events import (
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationWaiting,
    CoverageCommitted,
    Event,
    InputEvent,
    Targeting,
)
from models.matcher import RegionMatcher
from models.nik import Sex, pseudonym
from models.occupations import Occupation
from models.topics import topic_of
from tests.unit.factories import (
    KEY,
    REGION,
    T0,
    application,
    confirmed,
    life_event,
    pledge,
    registration_rejected,
    tick,
)

_OCCUPATIONS = (Occupation.STREET_VENDOR, Occupation.FISHER, Occupation.TAILOR)
_DISTRICTS = ("74.71.01", "74.71.02")


def _routed(events: list[Any], rng: random.Random) -> list[Any]:
    """The events as a reader of several topics may see them: each topic's order kept, topics mixed."""
    by_topic: dict[str, list[Any]] = {}
    for e in events:
        by_topic.setdefault(topic_of(type(e)).name, []).append(e)
    queues = [list(reversed(q)) for q in by_topic.values()]
    out: list[Any] = []
    while queues:
        q = rng.choice(queues)
        out.append(q.pop())
        if not q:
            queues.remove(q)
    return out


@st.composite
def region_logs(draw: st.DrawFn) -> tuple[list[InputEvent], int]:
    """Applications with tied keys and submissions, pledges with narrow targeting, BPJS answers."""
    n = draw(st.integers(3, 24))
    apps: list[InputEvent] = []
    for i in range(n):
        apps.append(application(
            application_id=f"app-{draw(st.integers(0, 999)):03d}-{i}",
            event_id=f"evt-app-{i}",
            event_time=T0 + timedelta(days=20, minutes=i),
            # Keys tie when a base 5 points higher was submitted 10 days later (2 days a point).
            submitted_at=T0 + timedelta(seconds=draw(st.sampled_from((0, 0, 1, 864_000, 1_728_000)))),
            serial=1 + draw(st.integers(0, 9)) * 40 + i,
            sex=draw(st.sampled_from(tuple(Sex))),
            district=draw(st.sampled_from(_DISTRICTS)),
            occupation=draw(st.sampled_from(_OCCUPATIONS)),
            welfare_decile=draw(st.sampled_from((None, 1, 3, 7))),
            dependants=draw(st.integers(0, 2)),
            breadwinner=draw(st.booleans()),
        ))
    pledges: list[InputEvent] = []
    for j in range(draw(st.integers(1, 3))):
        seats = draw(st.integers(1, 6))
        pledges.append(pledge(
            event_id=f"evt-pledge-{j}", pledge_id=f"pledge-{j}",
            event_time=T0 + timedelta(days=20, hours=1, minutes=j),
            amount_idr=seats * 16_800 * 12,
            targeting=Targeting(
                sexes=draw(st.sampled_from((None, (Sex.FEMALE,)))),
                occupations=draw(st.sampled_from((None, (Occupation.FISHER, Occupation.TAILOR)))),
                max_welfare_decile=draw(st.sampled_from((None, 3))),
            ),
        ))
    mixed = list(apps)
    for p in pledges:  # pledges arrive among the applications
        mixed.insert(draw(st.integers(0, len(mixed))), p)
    return mixed, draw(st.integers(0, 2**32 - 1))


def _run(log: list[InputEvent], answers: int, closes: bool = True) -> tuple[RegionMatcher, list[Event]]:
    """Feed the matcher the log, then BPJS: the first ``answers`` seats confirmed, one rejected (its
    worker applies again, odd ``answers``), a close."""
    m = RegionMatcher(REGION, KEY)
    events: list[Event] = []
    for e in log:
        events.append(e)
        events.extend(m.handle(e).outputs)
    pending = m.committed()
    answers_in: list[InputEvent] = []
    for i, cid in enumerate(pending):
        term = m.term(cid)
        assert term is not None
        if i == answers:
            answers_in.append(registration_rejected(cid, payer_id=term.payer_id, event_id=f"rej-{cid}"))
        elif i < answers:
            answers_in.append(confirmed(cid, payer_id=term.payer_id, event_id=f"ok-{cid}"))
    again: list[InputEvent] = []
    if answers % 2 and answers < len(pending):
        term = m.term(pending[answers])
        assert term is not None
        first = next(a for a in log
                     if isinstance(a, ApplicationSubmitted) and pseudonym(a.nik, KEY) == term.worker)
        again = [first.model_copy(update={"application_id": "app-again", "event_id": "evt-again",
                                          "event_time": T0 + timedelta(days=20, hours=3)})]
    for e in [*answers_in, *again, *((tick("2025-01"), tick("2025-02")) if closes else ())]:
        events.append(e)
        events.extend(m.handle(e).outputs)
    return m, events


def _fold(events: list[Event], seed: int) -> DeskModel:
    desk = DeskModel(KEY)
    for e in _routed([e for e in events if not _input_only(e)], random.Random(seed)):
        desk.apply(e)
    return desk


def _input_only(e: object) -> bool:
    """Inputs the API does not read (BPJS's answers, the clock): the desk sees their outputs only."""
    return topic_of(type(e)).name in ("registrations.v1", "clock.v1", "payments.v1")


def _worker(desk: DeskModel, worker: str) -> WorkerFacts:
    found = desk.by_pseudonym(worker)
    assert len(found) == 1, worker
    return found[0]


@settings(max_examples=150, deadline=None)
@given(region_logs(), st.integers(0, 4), st.booleans())
def test_the_waiting_list_and_every_status_are_the_matchers_whatever_the_topics_order(
    case: tuple[list[InputEvent], int], answers: int, closes: bool
) -> None:
    log, seed = case
    m, events = _run(log, answers, closes)
    desk = _fold(events, seed)
    waiting = m.waiting()
    assert [e[3] for e in desk.queue(REGION)] == waiting
    assert desk.waiting_count(REGION) == len(waiting)
    for position, worker in enumerate(waiting, start=1):
        assert desk.rank(_worker(desk, worker)) == position
    for app in (e for e in log if isinstance(e, ApplicationSubmitted)):
        worker = pseudonym(app.nik, KEY)
        core = m.status(worker)
        facts = _worker(desk, worker)
        status, _, _ = desk.verdict(facts)
        if core == "covered":
            assert status == "covered" and facts.entry is None and desk.rank(facts) is None
        elif core == "committed":
            assert status == "committed" and facts.entry is None
        elif core == "waiting":
            assert facts.waiting and status in ("waiting", "cancelled", "lapsed", "expired")
        elif core == "registration_rejected":
            assert status == "cancelled" and not facts.waiting and facts.entry is None
        else:
            assert core is None and status == "rejected"


@settings(max_examples=60, deadline=None)
@given(region_logs())
def test_every_application_is_answered_as_the_engine_answered_it(case: tuple[list[InputEvent], int]) -> None:
    log, seed = case
    _, events = _run(log, 0)
    desk = _fold(events, seed)
    rejected = {e.application_id: e for e in events if isinstance(e, ApplicationRejected)}
    waited = {e.application_id for e in events if isinstance(e, ApplicationWaiting)}
    arrived = {(e.worker, e.event_time) for e in events
               if isinstance(e, CoverageCommitted) and not e.was_waiting}
    for app in (e for e in log if isinstance(e, ApplicationSubmitted)):
        found = desk.application(app.application_id)
        assert found is not None
        region, outcome, reason, _, w = found
        assert region == REGION
        if app.application_id in rejected:
            assert (outcome, reason) == ("rejected", rejected[app.application_id].reason)
        else:
            assert outcome == "accepted"
            assert w is not None and w.application_id == app.application_id
            assert app.application_id in waited or (w.worker, app.event_time) in arrived


def test_a_duplicate_application_is_rejected_and_the_worker_keeps_the_first() -> None:
    first = application(application_id="app-first")
    again = application(application_id="app-again", nik=first.nik, event_id="evt-again")
    m = RegionMatcher(REGION, KEY)
    events: list[Event] = []
    for e in (first, again):
        events += [e, *m.handle(e).outputs]
    desk = _fold(events, 1)
    assert desk.application("app-again")[1:3] == ("rejected", "duplicate_worker")  # type: ignore[index]
    w = _worker(desk, pseudonym(first.nik, KEY))
    assert (w.application_id, desk.verdict(w)[0], desk.rank(w)) == ("app-first", "waiting", 1)


def test_the_nik_is_not_held() -> None:
    app = application()
    m = RegionMatcher(REGION, KEY)
    desk = DeskModel(KEY)
    for e in [app, *m.handle(app).outputs]:
        desk.apply(e)
    held = repr(desk.__dict__) + repr(desk.by_nik(app.nik))
    assert app.nik not in held and app.name not in held


@pytest.mark.parametrize("repeat", [1, 2])
def test_repeats_change_nothing(repeat: int) -> None:
    app = application()
    m = RegionMatcher(REGION, KEY)
    events = [app, *m.handle(app).outputs, pledge()]
    events += m.handle(events[-1]).outputs
    desk = DeskModel(KEY)
    for e in events * repeat:
        desk.apply(e)
    w = _worker(desk, pseudonym(app.nik, KEY))
    assert desk.verdict(w)[0] == "committed" and desk.waiting_count(REGION) == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_life_events_take_a_worker_out_and_a_new_application_brings_them_back(seed: int) -> None:
    """A death ends a covered worker's term (``ended``), a move takes a waiting one off the list
    (``withdrawn``), the seat's unused months go to the next waiting worker, and the ranks close up."""
    m = RegionMatcher(REGION, KEY)
    events: list[Any] = []

    def feed(*inputs: Any) -> None:
        for e in inputs:
            events.append(e)
            events.extend(m.handle(e).outputs)

    apps = [application() for _ in range(4)]
    feed(*apps, pledge(amount_idr=16_800 * 12, months=12))
    (committed,) = m.committed()
    feed(confirmed(committed, payer_id="dealer-kendari"))
    covered, moved = committed.split(":")[2], m.waiting()[-1]
    feed(life_event(covered, "deceased", "2025-01"), life_event(moved, "moved_out", "2025-01"))
    desk = _fold(events, seed)

    dead, gone = _worker(desk, covered), _worker(desk, moved)
    assert desk.verdict(dead)[:2] == ("ended", "deceased") and not dead.waiting
    assert desk.verdict(gone)[:2] == ("withdrawn", "moved_out") and not gone.waiting
    assert desk.rank(gone) is None
    assert [e[3] for e in desk.queue(REGION)] == m.waiting()  # the matcher's list, both gone from it
    (refill,) = m.committed()  # the dead worker's unused months, a seat for the next one waiting
    assert _worker(desk, refill.split(":")[2]).status == "committed"

    nik = next(a.nik for a in apps if pseudonym(a.nik, KEY) == moved)
    again = application(nik=nik, event_time=T0 + timedelta(days=40), submitted_at=T0 + timedelta(days=40))
    outputs = m.handle(again).outputs
    assert any(isinstance(o, ApplicationWaiting) for o in outputs)  # the engine takes them back
    for e in (again, *outputs):
        desk.apply(e)
    back = _worker(desk, moved)
    assert back.status == "waiting" and desk.rank(back) == m.waiting().index(moved) + 1
