"""The officer's desk through the real API, a real broker and a real worker.

Nine applications over HTTP (one the engine rejects), a pledge of three seats,
BPJS's answers from ``jaring.bpjs`` (it rejects the third registration, whose
seat goes to the next waiting worker), January closed. Then every application
is asked for by id, and two workers by NIK: each answer agrees with the events
read back from the output topics, and every rank with the pure core
(``RegionMatcher``) fed the region log the worker read. No NIK is in any
answer, log line or access record; every lookup is on the access log.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

import httpx
import pytest

from infra.settings import Settings
from infra.topic_io import read_until
from jaring.bpjs import Habits, Simulator
from jaring.demo import feed
from models.codec import decode
from models.events import (
    AccessRecorded,
    ApplicationRejected,
    ApplicationWaiting,
    BillLine,
    CoverageActivated,
    CoverageCancelled,
    CoverageCommitted,
    Input,
    MonthTick,
)
from models.matcher import RegionMatcher
from models.nik import pseudonym
from models.topics import ACCESS_LOG, APPLICATION_STATUS, BILLING, COVERAGE, REGION_LOG
from tests.conftest import WorkerFactory
from tests.integration.api.conftest import RECEIVED, ApiFactory, Keys, auth
from tests.integration.api.test_requests import application_body
from tests.unit.factories import make_nik

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

REGION = "74.71"
SEAT = 16_800 * 12
_PROFILES = [  # (occupation, decile, breadwinner, days before RECEIVED): ties in key and in submission
    ("fisher", 1, True, 0), ("tailor", 7, False, 0), ("street_vendor", 3, True, 10), ("fisher", 1, True, 0),
    ("construction_worker", None, False, 5), ("tailor", 2, True, 0), ("ojek_driver", 4, False, 0),
    ("street_vendor", 3, False, 10),
]


async def _events(settings: Settings, topic: str, done: Callable[[list[Any]], bool]) -> list[Any]:
    seen: list[Any] = []
    await read_until(settings.kafka_bootstrap, [settings.topic(topic)], lambda _: done(seen), 120.0,
                     lambda record: seen.append(decode(record.value)))
    return seen


async def _until(ask: Callable[[], httpx.Response], holds: Callable[[Any], bool]) -> Any:
    deadline = asyncio.get_running_loop().time() + 120
    while True:
        got = ask()
        if got.status_code == 200 and holds(got.json()):
            return got.json()
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"never held; last answer {got.status_code}: {got.text[:500]}")
        await asyncio.sleep(0.2)


def _commits(seen: list[Any]) -> list[CoverageCommitted]:
    return [e for e in seen if isinstance(e, CoverageCommitted)]


def _more_commits_than(n: int) -> Callable[[list[Any]], bool]:
    return lambda seen: len(_commits(seen)) > n


async def test_the_desk_answers_as_the_events_and_the_core_say_and_never_shows_a_nik(
    settings: Settings, keys: Keys, worker_factory: WorkerFactory, api_factory: ApiFactory,
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    worker_factory()
    api = api_factory(settings)
    key = settings.pseudonym_key.get_secret_value().encode()
    bodies = [
        application_body(
            application_id=f"app-desk-{n}", nik=make_nik(serial=500 + n), name=f"Wa Ode Rahasia {n}",
            occupation=occupation, welfare_decile=decile, breadwinner=breadwinner,
            submitted_at=(RECEIVED - timedelta(days=days)).isoformat(),
        )
        for n, (occupation, decile, breadwinner, days) in enumerate(_PROFILES)
    ]
    bodies.append(application_body(application_id="app-desk-covered", nik=make_nik(serial=599),
                                   name="Wa Ode Rahasia Tertanggung", already_covered=True))
    niks = [b["nik"] for b in bodies]
    officer = auth(keys.officer)
    unlimited = {"request": [lambda _: api.clock.advance(60.0)]}  # the limiter's clock: never 429
    with httpx.Client(base_url=api.url, timeout=60.0, event_hooks=unlimited) as http:
        for body in bodies:
            sent = http.post("/v1/applications", json=body, headers=auth(keys.officer, str(uuid.uuid4())))
            assert sent.status_code == 202, sent.text
        await _events(settings, APPLICATION_STATUS.name, lambda s: len(s) >= len(bodies))
        pledged = http.post("/v1/pledges", headers=auth(keys.sponsor_a, str(uuid.uuid4())), json={
            "region": REGION, "amount_idr": 3 * SEAT, "months": 12, "package": "JKK_JKM",
            "valid_from": str(RECEIVED.date()), "valid_until": str(date(2026, 12, 31)),
        })
        assert pledged.status_code == 202, pledged.text

        # ---- BPJS answers: the third registration rejected, its seat refilled and confirmed
        bpjs = Simulator(Habits(reject_every=3))
        answered: set[str] = set()
        while len(answered) < 4:
            seen = await _events(settings, COVERAGE.name, _more_commits_than(len(answered)))
            fresh = [c for c in _commits(seen) if c.coverage_id not in answered]
            answered |= {c.coverage_id for c in fresh}
            await feed(settings, bpjs.answer(fresh))
        await _events(settings, COVERAGE.name,
                      lambda s: sum(isinstance(e, CoverageActivated) for e in s) == 3)
        await feed(settings, [MonthTick(event_id="tick-desk-2026-01", region=REGION, period="2026-01",
                                        event_time=RECEIVED.replace(month=2, day=1))])
        await _events(settings, BILLING.name, lambda s: sum(isinstance(e, BillLine) for e in s) == 3)

        # ---- what the topics say, and the core's waiting order from the region log the worker read
        status = await _events(settings, APPLICATION_STATUS.name, lambda s: len(s) >= len(bodies))
        coverage = await _events(settings, COVERAGE.name,
                                 lambda s: any(isinstance(e, CoverageCancelled) for e in s))
        log = [e for e in await _events(settings, REGION_LOG.name, lambda s: any(
            isinstance(e, MonthTick) for e in s)) if isinstance(e, Input)]
        core = RegionMatcher(REGION, key, settings.city_policy())
        for event in log:
            core.handle(event)
        waiting = core.waiting()
        rejected = {e.application_id: e for e in status if isinstance(e, ApplicationRejected)}
        waited = {e.application_id: e for e in status if isinstance(e, ApplicationWaiting)}
        activated = {e.worker: e for e in coverage if isinstance(e, CoverageActivated)}
        [cancelled] = [e for e in coverage if isinstance(e, CoverageCancelled)]
        assert len(rejected) >= 1 and len(waiting) == len(bodies) - len(rejected) - 4  # 4 seats taken

        # ---- every application by id
        answers = {}
        for body in bodies:
            app_id = body["application_id"]
            worker = pseudonym(body["nik"], key)
            got = await _until(partial(http.get, f"/v1/applications/{app_id}", headers=officer),
                               lambda a: a["current_period"] == "2026-02" or a["status"] == "rejected")
            answers[app_id] = got
            if app_id in rejected:
                assert (got["status"], got["reason"], got["message"]) == (
                    "rejected", rejected[app_id].reason, rejected[app_id].message)
                continue
            assert got["worker"] == worker and got["application_id"] == app_id
            assert got["priority"]["key"] == waited[app_id].priority.key
            parts = ("poverty", "hazard", "household", "disability")
            assert {k: got["priority"][k] for k in parts} == {
                k: getattr(waited[app_id].priority, k) for k in parts}
            if worker in activated:
                a = activated[worker]
                assert (got["status"], got["waiting"], got["rank"]) == ("covered", False, None)
                c = got["coverage"]
                assert (c["coverage_id"], c["sponsor_id"], c["pledge_id"], c["membership_number"],
                        c["start_period"], c["end_period"], c["membership_since"]) == (
                    a.coverage_id, a.sponsor_id, a.pledge_id, a.membership_number, a.start_period,
                    a.end_period, a.membership_since)
                assert (c["months_billed"], c["months_due"], c["months_paid"], c["membership_months"]) == (
                    1, 1, 0, 1)
                assert c["death_benefit"] == {"threshold_months": 3, "reached": False,
                                              "reached_period": "2026-04"}
                assert c["scholarship"]["reached_period"] == "2029-01"
            elif worker == cancelled.worker:
                assert (got["status"], got["reason"], got["waiting"], got["rank"]) == (
                    "cancelled", "registration_rejected", False, None)
            else:
                assert (got["status"], got["waiting"]) == ("waiting", True)
                assert got["rank"] == waiting.index(worker) + 1, (got, waiting)
                assert got["waiting_in_region"] == len(waiting)
                assert (got["seats_admitting"], got["free_seats_admitting"]) == (3, 0)  # exhausted
        assert sorted(a["rank"] for a in answers.values() if a["rank"]) == list(range(1, len(waiting) + 1))

        # ---- by NIK: in the body, the pseudonym's worker; unknown 404; malformed 422, never echoed
        first_waiting = next(b for b in bodies if pseudonym(b["nik"], key) == waiting[0])
        found = http.post("/v1/applications/lookup", json={"nik": first_waiting["nik"]}, headers=officer)
        assert found.status_code == 200, found.text
        assert found.json()["workers"] == [answers[first_waiting["application_id"]]]
        unknown = http.post("/v1/applications/lookup", json={"nik": make_nik(serial=9_999)}, headers=officer)
        assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
        malformed = http.post("/v1/applications/lookup", json={"nik": "74710115068x0001"}, headers=officer)
        assert malformed.status_code == 422, malformed.text
        assert malformed.json()["errors"][0]["kind"] == "nik_invalid_format", malformed.text
        assert "74710115068x0001" not in malformed.text
        sponsor = http.post("/v1/applications/lookup", json={"nik": niks[0]}, headers=auth(keys.sponsor_a))
        assert sponsor.status_code == 403
        replies = [found.text, unknown.text, malformed.text, sponsor.text]

    # ---- every lookup is on the access log, with no NIK, name or pseudonym; no NIK in any log line
    lookups = len(bodies) + 2  # ids and the two well-formed NIKs (a 422 is refused before the lookup)
    raw = [r.value or b"" for r in await read_until(
        settings.kafka_bootstrap, [settings.topic(ACCESS_LOG.name)], lambda rs: len(rs) >= lookups, 60.0)]
    records = [decode(r) for r in raw]
    assert all(isinstance(e, AccessRecorded) and e.resource == "applications" for e in records)
    assert len(records) >= lookups
    assert sum(e.rows == 0 for e in records if isinstance(e, AccessRecorded)) == 1  # the unknown NIK
    captured = capfd.readouterr()
    text = caplog.text + captured.out + captured.err + "".join(replies)
    assert "desk lookup by nik" in caplog.text
    for body in bodies:
        assert body["nik"] not in text and body["name"] not in text
        hidden = (body["nik"].encode(), pseudonym(body["nik"], key).encode())
        assert not any(h in r for h in hidden for r in raw)
