"""The person index's decisions (``models.persons``): paths by hand, invariants by hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from models.eligibility import CityPolicy
from models.events import (
    ApplicationRejected,
    ApplicationSubmitted,
    PersonMoved,
    PersonReleased,
    ReleaseOutcome,
)
from models.nik import pseudonym
from models.persons import (
    MOVE_PREFIX,
    Action,
    AskRelease,
    Forward,
    Person,
    Say,
    claim,
    is_index_output,
    is_move,
    move_id,
    release,
)
from tests.unit.factories import KEY, application

A, B, C = "74.71", "74.72", "74.03"
DISTRICT = {A: "74.71.01", B: "74.72.01", C: "74.03.06"}
T = datetime(2025, 3, 10, tzinfo=UTC)


def app_in(region: str, n: int, nik: str = "7471011506850001") -> ApplicationSubmitted:
    return application(regency=region, district=DISTRICT[region], nik=nik, event_id=f"evt-{region}-{n}",
                       application_id=f"app-{n}", event_time=T + timedelta(minutes=n))


def answer(to: AskRelease, outcome: ReleaseOutcome, since: str | None = None,
           through: str | None = None, months: int = 0) -> PersonReleased:
    ev = to.event
    assert ev.worker is not None
    return PersonReleased(event_id=f"person.released:{ev.event_id}", event_time=ev.event_time,
                          region=ev.region, period="2025-03", worker=ev.worker, move_id=ev.event_id,
                          outcome=outcome, membership_since=since, covered_through=through,
                          months_of_membership=months)


WORKER = pseudonym("7471011506850001", KEY)
POLICY = CityPolicy(served_regencies=(A, B, C))


def test_a_first_application_sets_the_home_and_goes_on_unchanged() -> None:
    first = app_in(A, 1)
    state, actions = claim(None, WORKER, first, 12.5, POLICY)
    assert state == Person(status="active", region=A)
    assert actions == [Forward(first, 12.5, unchanged=True)]
    again = app_in(A, 2)  # the same region: its matcher answers (duplicate_worker or a fresh attempt)
    assert claim(state, WORKER, again, 13.0, POLICY) == (state, [Forward(again, 13.0, unchanged=True)])


def test_a_move_asks_the_home_region_holds_the_application_and_forwards_it_with_the_history() -> None:
    home, _ = claim(None, WORKER, app_in(A, 1), 1.0, POLICY)
    second = app_in(B, 2)
    moving, [ask] = claim(home, WORKER, second, 2.0, POLICY)
    assert isinstance(ask, AskRelease)
    assert moving is not None and (moving.status, moving.region, moving.moving_to) == ("moving", A, B)
    ev = ask.event
    assert (ev.region, ev.worker, ev.kind, ev.event_id) == (A, WORKER, "moved_out", move_id(second.event_id))
    assert ev.effective_period == "2025-02" and is_move(ev.event_id)  # the month before the application's
    # another application while the move is pending is refused; the held one, delivered again, asks again
    _, [refused] = claim(moving, WORKER, app_in(C, 3), 3.0, POLICY)
    assert isinstance(refused, Say) and refused.event.reason == "person_moving"  # type: ignore[union-attr]
    assert claim(moving, WORKER, second, 2.0, POLICY) == (moving, [ask])
    moved, actions = release(moving, answer(ask, "released", "2025-01", "2025-02", 2))
    assert moved is not None and (moved.status, moved.region) == ("active", B)
    [forward, said] = actions
    assert isinstance(forward, Forward) and not forward.unchanged and forward.timestamp == 2.0
    assert forward.application.event_id == second.event_id
    carried = forward.application.carried
    assert carried is not None and (carried.from_region, carried.membership_since, carried.covered_through,
                                    carried.months_of_membership) == (A, "2025-01", "2025-02", 2)
    assert isinstance(said, Say) and isinstance(said.event, PersonMoved)
    assert (said.event.region, said.event.from_region, said.event.worker) == (B, A, WORKER)
    # the answer delivered again does nothing (the shell wrote this state once its actions were on the
    # broker); the application, no longer held, is not kept; a later application in B carries the clocks
    assert release(moved, answer(ask, "released", "2025-01", "2025-02", 2)) == (moved, [])
    assert moved.held is None
    _, [later] = claim(moved, WORKER, app_in(B, 4), 4.0, POLICY)
    assert isinstance(later, Forward) and later.application.carried == carried


def test_a_deceased_person_is_refused_everywhere_from_then_on() -> None:
    home, _ = claim(None, WORKER, app_in(A, 1), 1.0, POLICY)
    moving, [ask] = claim(home, WORKER, app_in(B, 2), 2.0, POLICY)
    assert isinstance(ask, AskRelease)
    dead, [said] = release(moving, answer(ask, "deceased"))
    assert dead is not None and (dead.status, dead.region) == ("deceased", A)
    assert isinstance(said, Say) and isinstance(said.event, ApplicationRejected)
    assert (said.event.reason, said.event.region, said.event.event_id) == (
        "person_deceased", B, "application.rejected:evt-74.72-2")
    for n, region in enumerate((A, B, C), start=3):
        assert [type(a) for a in claim(dead, WORKER, app_in(region, n), 1.0, POLICY)[1]] == [Say]


def test_a_refused_move_leaves_the_person_home_and_refuses_the_application() -> None:
    home, _ = claim(None, WORKER, app_in(A, 1), 1.0, POLICY)
    moving, [ask] = claim(home, WORKER, app_in(B, 2), 2.0, POLICY)
    assert isinstance(ask, AskRelease)
    stays, [said] = release(moving, answer(ask, "refused"))
    assert stays is not None and (stays.status, stays.region) == ("active", A)
    assert isinstance(said, Say) and said.event.reason == "person_move_refused"  # type: ignore[union-attr]


def test_an_answer_to_no_pending_move_changes_nothing() -> None:
    home, _ = claim(None, WORKER, app_in(A, 1), 1.0, POLICY)
    moving, [ask] = claim(home, WORKER, app_in(B, 2), 2.0, POLICY)
    assert isinstance(ask, AskRelease)
    forged = ask.event.model_copy(update={"event_id": MOVE_PREFIX + "forged"})
    assert release(moving, answer(AskRelease(forged), "released")) == (moving, [])
    assert release(None, answer(ask, "released")) == (None, [])


def test_a_long_application_id_makes_a_bounded_move_id() -> None:
    long = "e" * 256
    assert len(move_id(long)) <= 256 and move_id(long) == move_id(long) and is_move(move_id(long))


# ---------------------------------------------------------------- invariants

REGIONS = (A, B, C)
_op = st.one_of(
    st.tuples(st.just("apply"), st.sampled_from(REGIONS)),
    st.tuples(st.just("answer"), st.just("")),
    st.tuples(st.just("dies"), st.just("")),
    st.tuples(st.just("replay"), st.just("")),
)


class Regions:
    """The regions as the index sees them: each holds the person from a forward until it lets them go."""

    def __init__(self) -> None:
        self.holding: set[str] = set()
        self.dead: set[str] = set()
        self.asks: list[AskRelease] = []
        self.released_by: list[str] = []
        """Regions that answered ``released``, in order: every move must follow one."""

    def take(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Forward):
                region = action.application.regency
                others = self.holding - {region}
                assert not others, f"forwarded to {region} while {others} still hold the person"
                if action.application.carried is not None:
                    assert action.application.carried.from_region in self.released_by
                self.holding.add(region)
            elif isinstance(action, AskRelease):
                self.asks.append(action)

    def answer(self) -> PersonReleased | None:
        if not self.asks:
            return None
        ask = self.asks.pop(0)
        region = ask.event.region
        if region in self.dead:
            return answer(ask, "deceased")
        self.holding.discard(region)
        self.released_by.append(region)
        return answer(ask, "released")


@settings(max_examples=300, deadline=None)
@given(st.lists(_op, max_size=30))
def test_one_region_at_most_holds_the_person_moves_pass_through_a_release_and_replays_repeat(
    ops: list[tuple[str, str]],
) -> None:
    regions = Regions()
    state: Person | None = None
    last: tuple[ApplicationSubmitted | PersonReleased, float] | None = None
    actions: list[Action] = []
    for n, (op, region) in enumerate(ops):
        if op == "apply":
            app = app_in(region, n)
            state, actions = claim(state, WORKER, app, float(n), POLICY)
            last = (app, float(n))
        elif op == "answer":
            got = regions.answer()
            if got is None:
                continue
            state, actions = release(state, got)
            last = (got, 0.0)
        elif op == "dies":
            regions.dead |= regions.holding
            continue
        else:  # the last input delivered again (a crash before its commit): a claim repeats its actions,
            if last is None:  # an answer does nothing (its state is written once its actions are sent)
                continue
            event, stamp = last
            before = state
            if isinstance(event, ApplicationSubmitted):
                state, repeated = claim(state, WORKER, event, stamp, POLICY)
                assert (state, repeated) == (before, actions)
            else:
                state, repeated = release(state, event)
                assert (state, repeated) == (before, [])
            regions.asks = [a for a in regions.asks if a not in repeated]  # the same request, asked once
            regions.take(repeated)
            continue
        regions.take(actions)
        if state is not None and state.status == "active":
            assert regions.holding <= {state.region}
        if state is not None:  # the application (NIK, name) is kept only while its move is answered
            assert (state.held is not None) == (state.status == "moving")


def test_an_application_its_region_will_refuse_moves_nobody_and_goes_on_to_be_refused_there() -> None:
    home, _ = claim(None, WORKER, app_in(A, 1), 1.0, POLICY)
    too_old = app_in(B, 2).model_copy(update={"birth_date": T.date().replace(year=1950)})
    unserved = application(regency="74.03", district="74.03.06", nik="7471011506850001", event_id="evt-x")
    for refused_there in (too_old, unserved):
        assert claim(home, WORKER, refused_there, 2.0, CityPolicy(served_regencies=(A, B))) == (
            home, [Forward(refused_there, 2.0, unchanged=True)]
        )


def test_what_the_index_says_is_told_apart_from_what_a_matcher_says() -> None:
    home, _ = claim(None, WORKER, app_in(A, 1), 1.0, POLICY)
    moving, [ask] = claim(home, WORKER, app_in(B, 2), 2.0, POLICY)
    assert isinstance(ask, AskRelease)
    _, [busy] = claim(moving, WORKER, app_in(C, 3), 3.0, POLICY)
    _, [_, moved] = release(moving, answer(ask, "released"))
    _, [dead] = release(moving, answer(ask, "deceased"))
    said = [a.event for a in (busy, moved, dead) if isinstance(a, Say)]
    assert len(said) == 3 and all(is_index_output(e) for e in said)
    by_a_matcher = ApplicationRejected(**{**busy.event.model_dump(), "reason": "duplicate_worker"})  # type: ignore[union-attr]
    assert not is_index_output(by_a_matcher)
