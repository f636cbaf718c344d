"""What the officer's desk holds per worker: measured with tracemalloc over events decoded record by
record as the feed does. The suite folds 10,000 events; README "Memory bounds" has the 100,000 of
``PYTHONPATH=. .venv/bin/python -m tests.unit.api.test_desk_memory`` (about a minute: tracemalloc slows
every allocation)."""

from __future__ import annotations

import gc
import sys
import tracemalloc
from datetime import date, timedelta

from api.desk_model import DeskModel
from infra.repeats import RecentIds
from models.codec import decode, encode
from models.events import ApplicationWaiting, CoverageActivated, CoverageCommitted
from models.nik import pseudonym
from models.occupations import Occupation
from models.priority import Priority
from models.tariff import Package
from tests.unit.factories import KEY, REGION, T0, application, make_nik

WORKERS, COVERED = 40_000, 10_000
"""40,000 applications and their 40,000 waiting events, 10,000 of them seated and activated: 100,000."""


def _events(workers: int, covered: int) -> list[bytes]:
    out: list[bytes] = []
    for i in range(workers):
        app = application(
            application_id=f"app-{i:06d}", event_id=f"evt-app-{i:06d}", event_time=T0,
            nik=make_nik(birth=date(1970, 1, 1) + timedelta(days=i // 5_000), serial=i % 5_000 + 1),
            birth_date=date(1970, 1, 1) + timedelta(days=i // 5_000),
            occupation=(Occupation.FISHER, Occupation.TAILOR, Occupation.STREET_VENDOR)[i % 3],
        )
        worker = pseudonym(app.nik, KEY)
        priority = Priority(poverty=80, hazard=30, household=30, disability=0, waited=0, score=140,
                            key=140 * 172_800 - i)
        out.append(encode(app))
        out.append(encode(ApplicationWaiting(
            event_id=f"application.waiting:{app.event_id}", event_time=T0, region=REGION, period="2025-01",
            application_id=app.application_id, worker=worker, district=app.district,
            occupation=app.occupation, sex=app.sex, welfare_decile=app.welfare_decile, priority=priority,
        )))
        if i < covered:
            cid = f"dealer-kendari:pledge-big:{worker}:1"
            seat = {
                "region": REGION, "period": "2025-01", "coverage_id": cid, "worker": worker,
                "pledge_id": "pledge-big", "sponsor_id": "dealer-kendari", "payer_id": "dealer-kendari",
                "district": app.district, "occupation": app.occupation, "sex": app.sex,
                "welfare_decile": app.welfare_decile, "package": Package.JKK_JKM,
                "monthly_premium_idr": 16_800, "months": 12, "term_no": 1, "priority": priority,
                "event_time": T0 + timedelta(days=1),
            }
            out.append(encode(CoverageCommitted(event_id=f"coverage.committed:{cid}", was_waiting=True,
                                                registration_due_period="2025-02", **seat)))
            out.append(encode(CoverageActivated(
                event_id=f"coverage.activated:{cid}", was_waiting=True, start_date=date(2025, 1, 11),
                committed_period="2025-01", membership_number=f"{70_000_000_000 + i}", start_period="2025-01",
                end_period="2025-12", membership_since="2025-01", **seat,
            )))
    return out


def held_per_worker(workers: int, covered: int) -> tuple[int, int, int, int]:
    """(events folded, bytes the desk holds per worker after them, event ids held to drop repeats,
    bytes per worker once those ids left their window)."""
    records = _events(workers, covered)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        desk = DeskModel(KEY)
        for raw in records:
            desk.apply(decode(raw))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
        counts = desk.held()
        desk._seen = RecentIds()  # noqa: SLF001 - what two months later leave of the window
        gc.collect()
        facts = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert counts["workers"] == workers and desk.waiting_count(REGION) == workers - covered
    return len(records), held // workers, counts["ids"], facts // workers


def test_the_desk_holds_about_a_kilobyte_and_a_quarter_a_worker() -> None:
    events, per_worker, ids, facts = held_per_worker(WORKERS // 10, COVERED // 10)
    print(f"desk model: {per_worker} bytes per worker, {facts} without the ids ({events} events, {ids} ids)")
    assert events == 10_000 and ids == events - WORKERS // 10  # applications: dropped by their id
    assert facts < per_worker < 1_600


if __name__ == "__main__":
    sizes = (int(sys.argv[1]), int(sys.argv[2])) if sys.argv[2:] else (WORKERS, COVERED)
    events, per_worker, ids, facts = held_per_worker(*sizes)
    print(f"desk model: {per_worker} bytes per worker, {facts} without the ids window "
          f"({events} events, {ids} ids held)")
