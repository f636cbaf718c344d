"""One person, one worker: a NIK covered in one regency applies in another, on two workers.

Two partitions, two workers: regency A (74.71) and regency B (74.72) are on
different partitions, so each worker matches one of them, and the person
index's handshake (``streams.persons``) crosses workers: A's matcher ends the
term and answers ``person.released``, the index hands the application to B
with the carried clocks. Both workers are SIGKILLed and restarted between
the first application and the move: the index must come back from its
changelog. Small inputs: four applications, two pledges, two month closes.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka.partitioner import murmur2

from infra.settings import Settings
from infra.topic_io import send_all
from jaring.audit import Reader
from jaring.demo import engine_caught_up, feed, outputs_until
from models.codec import dumps, encode
from models.events import (
    ApplicationRejected,
    Carried,
    CoverageActivated,
    CoverageCommitted,
    CoverageEnded,
    DeadLetter,
    Event,
    Input,
    PersonMoved,
    PersonReleased,
)
from models.nik import pseudonym
from models.topics import APPLICATIONS, PERSON_CLAIMS
from tests.conftest import Broker, WorkerFactory, start_together, until_group_settles, worker_metric
from tests.unit.factories import application, confirmed, life_event, pledge, tick

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

A, B = "74.71", "74.72"
MOVER, DEAD = "7471011506850001", "7471011506850002"
JANUARY, MARCH = datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 3, 5, tzinfo=UTC)


@pytest.fixture
def settings(kafka: Broker, namespace: str) -> Settings:
    """Two partitions: one per worker, A's on one and B's on the other."""
    return Settings(kafka_bootstrap=kafka.bootstrap_servers, namespace=namespace, topic_partitions=2)


def _in(region: str, nik: str, n: int, when: datetime, **extra: Any) -> Any:
    return application(regency=region, district=f"{region}.01", nik=nik, event_id=f"evt-{region}-{n}",
                       application_id=f"app-{region}-{n}", event_time=when, submitted_at=when, **extra)


def _pledge(region: str) -> Any:
    return pledge(region=region, pledge_id=f"pledge-{region}", event_id=f"evt-pledge-{region}",
                  event_time=JANUARY.replace(hour=3), amount_idr=2 * 12 * 16_800, months=12,
                  valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31))


def _ticks(region: str, *periods: str) -> list[Input]:
    return [tick(p, region=region, event_id=f"tick-{region}-{p}") for p in periods]


def _confirm(events: list[Event], region: str) -> list[Input]:
    return [confirmed(e.coverage_id, region=region, payer_id=e.payer_id, event_id=f"confirm-{e.coverage_id}",
                      event_time=e.event_time, start_date=date(2026, 1, 15))
            for e in events if isinstance(e, CoverageCommitted) and e.region == region]


def _of(kind: type, events: list[Event], **fields: Any) -> list[Any]:
    return [e for e in events if isinstance(e, kind) and all(getattr(e, k) == v for k, v in fields.items())]


def _has(kind: type, n: int = 1, **fields: Any) -> Callable[[Reader], bool]:
    return lambda r: len(_of(kind, r.result.events, **fields)) >= n


async def test_a_person_covered_in_one_regency_moves_to_another_once_and_a_deceased_one_is_refused(
    settings: Settings, worker_factory: WorkerFactory, tmp_path: Path
) -> None:
    assert {(murmur2(r.encode()) & 0x7FFFFFFF) % 2 for r in (A, B)} == {0, 1}
    key = settings.pseudonym_key.get_secret_value().encode()
    mover, dead = pseudonym(MOVER, key), pseudonym(DEAD, key)
    policy = tmp_path / "policy.json"
    policy.write_bytes(dumps({"name": "two regencies", "served_regencies": [A, B]}))
    workers = start_together(worker_factory, ["w-0", "w-1"], JARING_POLICY_FILE=str(policy))
    await until_group_settles(settings, 2)

    # January: both covered in A; each regency has a pledge; February and March close in both
    await feed(settings, [_in(A, MOVER, 1, JANUARY), _in(A, DEAD, 2, JANUARY), _pledge(A), _pledge(B)])
    committed = await outputs_until(settings, _has(CoverageCommitted, 2, region=A), timeout=120)
    await feed(settings, _confirm(committed.events, A))
    await outputs_until(settings, _has(CoverageActivated, 2, region=A), timeout=60)
    await feed(settings, [*_ticks(A, "2026-01", "2026-02"), *_ticks(B, "2026-01", "2026-02")])
    await engine_caught_up(settings, timeout=60)  # both regencies are in March
    await feed(settings, [life_event(dead, "deceased", "2026-02", region=A, event_id="evt-died",
                                     event_time=MARCH, reported_on=date(2026, 3, 1))])
    await outputs_until(settings, _has(CoverageEnded, 1, worker=dead), timeout=60)
    # the index is on Kafka, not in a process: both workers SIGKILLed after their last commit, restarted
    await engine_caught_up(settings, timeout=60)
    for worker in workers:
        worker.kill()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda w: w.start(), workers))
    await until_group_settles(settings, 2)

    # March: both apply in B; a forged history from outside is dead-lettered
    forged = _in(B, "7471011506850009", 9, MARCH, carried=Carried(
        from_region=A, membership_since="2020-01", covered_through="2020-12", months_of_membership=12))
    await send_all(settings, settings.topic(APPLICATIONS.name), [(B.encode(), encode(forged))])
    # only the engine writes the claims: a record that is not an application keyed by its NIK's pseudonym
    # is dead-lettered by the index, and the next is handled
    await send_all(settings, settings.topic(PERSON_CLAIMS.name),
                   [(mover.encode(), b"{oops"), (dead.encode(), encode(_in(B, MOVER, 8, MARCH)))])
    await feed(settings, [_in(B, MOVER, 3, MARCH), _in(B, DEAD, 4, MARCH)])
    moved = await outputs_until(settings, lambda r: _has(CoverageCommitted, 1, worker=mover, region=B)(r)
                                and _has(ApplicationRejected, 1, worker=dead, region=B)(r)
                                and _has(DeadLetter, 3)(r), timeout=120)
    await feed(settings, [*_confirm(moved.events, B), _in(B, MOVER, 5, MARCH.replace(day=6))])
    final = await outputs_until(settings, lambda r: _has(CoverageActivated, 1, region=B)(r)
                                and _has(ApplicationRejected, 1, application_id=f"app-{B}-5")(r), timeout=60)
    events = final.events

    # A ended the term (cover through February: billed), and said so to the index, with the clocks
    [ended] = _of(CoverageEnded, events, worker=mover)
    assert (ended.region, ended.reason, ended.end_period, ended.months_covered) == (
        A, "moved_out", "2026-02", 2)
    [released] = _of(PersonReleased, events, worker=mover)
    assert (released.region, released.outcome, released.membership_since, released.covered_through) == (
        A, "released", "2026-01", "2026-02")
    [said] = _of(PersonMoved, events, worker=mover)
    assert (said.from_region, said.region, said.application_id) == (A, B, f"app-{B}-3")
    # B covers the same person after A's last month, membership unbroken since January: never two covers
    [started] = _of(CoverageActivated, events, worker=mover, region=B)
    assert (started.start_period, started.membership_since) == ("2026-03", "2026-01")
    assert started.start_period > ended.end_period  # type: ignore[operator]
    assert final.ok, final.violations  # the auditor's own check: no worker's terms overlap, any regency
    assert len(_of(CoverageActivated, events, worker=mover)) == 2  # January in A, March in B
    # the same NIK again in B: B's own dedupe; the deceased person: refused by the index, never seen by B
    [again] = _of(ApplicationRejected, events, application_id=f"app-{B}-5")
    assert (again.region, again.reason) == (B, "duplicate_worker")
    [refused] = _of(ApplicationRejected, events, worker=dead, region=B)
    assert refused.reason == "person_deceased"
    assert not _of(CoverageCommitted, events, worker=dead, region=B)
    assert sorted((e.source_topic.split(".")[-2], e.reason) for e in _of(DeadLetter, events)) == [
        ("applications", "carried_from_outside"), ("person-claims", "not_json"),
        ("person-claims", "wrong_key")]
    # two workers, each matching one regency; the index's refusals are counted like the matchers'
    assert all(worker_metric(w, "jaring_events_processed_total", agent="matcher") > 0 for w in workers)
    assert sum(worker_metric(w, "jaring_application_rejections_total", reason="person_deceased")
               for w in workers) == 1
