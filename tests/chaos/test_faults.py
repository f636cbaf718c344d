"""Faults during a stream, then a checker that reads every output topic from the start.

After each run the audit (``jaring.audit``) proves: no worker covered twice in
one period (terms ended early by a life event included), no pledge
over-committed, ledgers balanced (pledged, committed, billed, paid, due,
arrears, written off, returned), payer accounts and bills
adding up, every application waiting, rejected with a reason or matched, and
repeats byte-identical; and
the outputs are exactly, byte for byte, what the pure core derives from the
region log (``jaring.audit.replay``), so no state was lost across a crash.
Each test prints how many faults it injected and how many events it checked.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deploy.kafka.runner import KafkaCluster
from infra.settings import Settings
from jaring.audit import Audit
from jaring.bpjs import Habits, Simulator
from jaring.demo import Answered, answer, close_months, feed, outputs_until
from jaring.scenario import KENDARI as KENDARI_CODE
from jaring.scenario import applications, life_events, month_ticks, pledges
from models.eligibility import KENDARI
from models.events import (
    ApplicationSubmitted,
    ApplicationWaiting,
    CoverageActivated,
    CoverageCommitted,
    CoverageEnded,
    CoverageLapsed,
    LifeEventRecorded,
    PaymentReconciled,
    PersonMoved,
)
from models.nik import pseudonym
from models.regions import districts_of
from tests.chaos.conftest import ChaosPlan
from tests.conftest import WorkerFactory, assert_same_as_replay

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

BAUBAU = "74.72"
"""Where some of Kendari's covered workers move to in the worker-kill run."""


def report(name: str, faults: int, audit: Audit, replayed: int) -> None:
    print(f"\n[chaos] {name}: {faults} faults injected; checked {audit.summary()}; "
          f"{replayed} outputs identical to the pure core's replay of the region log")


async def test_repeated_worker_kills_lose_nothing_and_cover_no_one_twice(
    settings: Settings, worker_factory: WorkerFactory, plan: ChaosPlan, tmp_path: Path
) -> None:
    n = plan.applications
    apps = applications(n, seed=41, spacing=timedelta(seconds=3))
    offers = pledges([n // 20] * 10, start=apps[0].event_time + timedelta(hours=1), valid_days=240)
    policy = tmp_path / "policy.json"  # Kendari's rules, serving Baubau too
    served = {"served_regencies": (KENDARI_CODE, BAUBAU)}
    policy.write_text(KENDARI.model_copy(update=served).model_dump_json())
    worker = worker_factory(JARING_POLICY_FILE=str(policy))
    feeding = asyncio.create_task(feed(settings, [*apps, *offers]))
    kills = 0
    for k in range(1, plan.worker_kills + 1):
        threshold = n * k // (plan.worker_kills + 1)
        await outputs_until(settings, lambda r, t=threshold: r.accounted >= t, timeout=300)
        worker.kill()
        kills += 1
        worker.start()
    await feeding
    await outputs_until(settings, lambda r: r.accounted >= n, timeout=300)
    # BPJS confirms every registration; payer-0 pays on time, payer-1 two months late, payer-2
    # never (its terms lapse and their seats go to waiting workers, whose registrations BPJS answers)
    simulator = Simulator(Habits(late={"payer-1": 2}, never=frozenset({"payer-2"})))
    answered = Answered()
    await answer(settings, simulator, answered)
    ticks = month_ticks("2026-01", 12)
    await close_months(settings, simulator, answered, ticks[:5])
    # Officers report on 1 in 50 covered and 1 in 50 waiting workers (moves, jobs, deaths, leavers,
    # accident claims): terms end, seats pass to waiting workers; a kill lands while they are handled
    so_far = answered.reader.result.events
    lapsed = {e.worker for e in so_far if isinstance(e, CoverageLapsed)}
    covered = sorted({e.worker for e in so_far if isinstance(e, CoverageActivated)} - lapsed)
    seated = {e.worker for e in so_far if isinstance(e, CoverageCommitted)}
    waiting = sorted({e.worker for e in so_far if isinstance(e, ApplicationWaiting)} - seated)
    reports = life_events([*covered[::50], *waiting[::50]], period="2026-05")
    # and 1 in 100 other covered workers move to Baubau and apply there in June: the person index
    # asks Kendari to let them go, and Baubau covers them carrying their benefit clocks
    key = settings.pseudonym_key.get_secret_value().encode()
    by_worker = {pseudonym(a.nik, key): a for a in apps}
    june = datetime(2026, 6, 12, 9, tzinfo=UTC)
    moves = [
        by_worker[w].model_copy(update={
            "event_id": f"{by_worker[w].event_id}-bb", "application_id": f"{by_worker[w].application_id}-bb",
            "regency": BAUBAU, "district": districts_of(BAUBAU)[0], "event_time": june, "submitted_at": june,
        })
        for w in covered[25::100]
    ]
    baubau = pledges([len(moves)], start=june, region=BAUBAU, id_prefix="pledge-bb", valid_days=240)
    await feed(settings, [*reports, *moves, *baubau])
    worker.kill()  # once more, while the reports, the moves and the month closes are handled
    kills += 1
    worker.start()
    await close_months(settings, simulator, answered, [*ticks[5:], *month_ticks("2026-06", 7, region=BAUBAU)])
    final = await outputs_until(settings, lambda _: True, timeout=300, applications=n + len(moves))

    report("worker SIGKILLs", kills, final, await assert_same_as_replay(settings, str(policy)))
    assert final.ok, final.violations
    assert final.counts["coverage.activated"] >= n // 2  # every seat confirmed, lapsed ones refilled
    assert final.counts["coverage.committed"] == final.counts["coverage.activated"]
    for kind in ("coverage.lapsed", "funding.arrears", "funding.written_off", "funding.paid"):
        assert final.counts[kind] > 0, kind
    assert {e.outcome for e in final.events if isinstance(e, PaymentReconciled)} == {"exact"}
    recorded = [e for e in final.events if isinstance(e, LifeEventRecorded)]
    assert len(recorded) == len(reports) + len(moves), "every report (and move) applied once, none lost"
    ended = [e for e in final.events if isinstance(e, CoverageEnded)]
    assert {e.outcome for e in recorded} == {"withdrawn", "term_ended", "claim_counted"}
    assert "refilled" in {e.seat for e in ended}
    moved = {e.worker: e for e in final.events if isinstance(e, PersonMoved)}
    assert sorted(moved) == sorted(pseudonym(a.nik, key) for a in moves)
    assert {e.worker for e in ended if e.reason == "moved_out"} >= set(moved), "each mover's term ended"
    in_baubau = {e.worker for e in final.events if isinstance(e, CoverageActivated) and e.region == BAUBAU}
    assert in_baubau == set(moved), "each mover covered in Baubau, nobody else"
    # nobody who left is covered afterwards (a seat filled before the report came ends keeping no month)
    exits = {e.worker: e.effective_period for e in recorded
             if e.outcome != "claim_counted" and e.worker not in moved}
    kept = {e.coverage_id: e.end_period or "" for e in ended}
    assert not [e for e in final.events if isinstance(e, CoverageActivated) and e.worker in exits
                and exits[e.worker] < e.start_period <= kept.get(e.coverage_id, e.start_period)]


async def test_duplicated_and_reordered_inputs_change_nothing(
    settings: Settings, worker_factory: WorkerFactory
) -> None:
    apps = applications(1_000, seed=42)
    again = [  # the same people applying a second time
        a.model_copy(update={"event_id": f"{a.event_id}-again", "application_id": f"{a.application_id}x"})
        for a in apps[:100]
    ]
    offers = pledges([300, 200], start=apps[-1].event_time + timedelta(hours=1))
    rng = random.Random(42)
    noisy: list[ApplicationSubmitted] = [*apps, *rng.sample(apps, 300), *again]
    rng.shuffle(noisy)
    worker_factory()

    await feed(settings, noisy)
    await outputs_until(settings, lambda r: r.accounted >= 1_100, timeout=180)
    await feed(settings, [*offers, *offers, offers[0]])
    final = await outputs_until(
        settings, lambda r: r.result.counts["coverage.committed"] >= 500, timeout=180, applications=1_100
    )

    report("duplicated and reordered inputs", 300 + 100 + 3, final, await assert_same_as_replay(settings))
    assert final.ok, final.violations
    assert final.counts["application.waiting"] == 1_000
    assert final.counts["application.rejected"] == 100
    assert {e.reason for e in final.events if e.type == "application.rejected"} == {"duplicate_worker"}
    assert final.counts["pledge.accepted"] == 2
    assert final.counts["coverage.committed"] == 500


async def test_broker_kills_in_a_three_node_cluster_lose_nothing(
    settings: Settings, worker_factory: WorkerFactory, plan: ChaosPlan, tmp_path: Path
) -> None:
    n = max(2_000, plan.applications // 2)
    with KafkaCluster(size=3, workdir=tmp_path / "cluster") as cluster:
        cluster_settings = settings.model_copy(
            update={"kafka_bootstrap": cluster.bootstrap_servers, "replication_factor": 3,
                    "min_insync_replicas": 2}
        )
        worker_factory(
            JARING_KAFKA_BOOTSTRAP=cluster.bootstrap_servers,
            JARING_REPLICATION_FACTOR="3",
            JARING_MIN_INSYNC_REPLICAS="2",
        )
        apps = applications(n, seed=43, spacing=timedelta(seconds=3))
        offers = pledges([n // 10] * 5, start=apps[0].event_time + timedelta(hours=1))
        feeding = asyncio.create_task(feed(cluster_settings, [*apps, *offers]))
        for k in range(1, plan.broker_kills + 1):
            threshold = n * k // (plan.broker_kills + 1)
            await outputs_until(cluster_settings, lambda r, t=threshold: r.accounted >= t, timeout=300)
            victim = 1 + k % 3
            cluster.kill_node(victim)
            await asyncio.sleep(3)
            cluster.restart_node(victim)
        await feeding
        final = await outputs_until(
            cluster_settings,
            lambda r: r.accounted >= n and r.result.counts["coverage.committed"] >= n // 2,
            timeout=300,
            applications=n,
        )
        replayed = await assert_same_as_replay(cluster_settings)

    report("broker SIGKILLs (RF 3, min ISR 2)", plan.broker_kills, final, replayed)
    assert final.ok, final.violations
    assert final.counts["coverage.committed"] == n // 2
