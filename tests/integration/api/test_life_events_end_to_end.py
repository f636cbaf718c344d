"""Life events end to end: the real API over HTTP, a real broker and a real worker.

Three fishers apply through the officer's route; a sponsor pledges one 12-month seat; BPJS's
confirmation comes through the officer's desk. Then an officer reports, through
``POST /v1/life-events``, that a waiting worker moved out (by application id) and that the covered
worker died (by NIK: the API sends only the pseudonym). The engine withdraws the mover, ends the
dead worker's term (January stays covered and is billed at its close, with no renewal), and gives
the eleven unused months to the other waiting worker. The claim is counted by the worker's metric
and the dashboard's read model; the pure core's replay of the region log gives exactly the outputs
the worker emitted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from dashboard.read_model import CityView
from infra.settings import Settings
from infra.topic_io import read_until
from jaring.audit import replay
from jaring.demo import feed, outputs_until
from jaring.processes import WorkerProcess
from models.events import (
    ApplicationWaiting,
    BillLine,
    CoverageActivated,
    CoverageCommitted,
    CoverageEnded,
    CoverageExpired,
    CoverageRenewed,
    LifeEventRecorded,
    MonthTick,
)
from models.nik import pseudonym
from models.topics import REGION_LOG
from tests.conftest import WorkerFactory, worker_metric
from tests.integration.api.conftest import RECEIVED, ApiFactory, Keys, auth
from tests.unit.factories import make_nik

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

REGION = "74.71"
SEAT = 12 * 16_800


@pytest.fixture
def desk(
    api_factory: ApiFactory, settings: Settings, worker_factory: WorkerFactory
) -> Iterator[tuple[httpx.Client, WorkerProcess]]:
    worker = worker_factory()
    api = api_factory(settings, api_rate_burst=100_000)
    with httpx.Client(base_url=api.url, timeout=30.0) as http:
        yield http, worker


def post(client: httpx.Client, key: str, path: str, idem: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(path, headers=auth(key, idem), json=body)
    assert answer.status_code == 202, answer.text
    receipt: dict[str, Any] = answer.json()
    return receipt


def applicant(serial: int, decile: int) -> dict[str, Any]:
    return {
        "application_id": f"app-life-{serial}", "nik": make_nik(serial=serial), "name": "Wa Ode Contoh",
        "birth_date": "1985-06-15", "sex": "M", "regency": REGION, "district": "74.71.01",
        "occupation": "fisher", "declared_income_idr": 1_000_000, "welfare_decile": decile,
    }


async def until(settings: Settings, done: Callable[[list[Any]], bool]) -> list[Any]:
    result = await outputs_until(settings, lambda reader: done(reader.result.events))
    return result.events


def of(events: list[Any], cls: type, **match: Any) -> list[Any]:
    return [e for e in events if isinstance(e, cls) and all(getattr(e, k) == v for k, v in match.items())]


async def test_a_death_and_a_move_reported_over_http_end_a_term_refill_its_seat_and_count_the_claim(
    settings: Settings, desk: tuple[httpx.Client, WorkerProcess], keys: Keys
) -> None:
    client, worker = desk
    key = settings.pseudonym_key.get_secret_value().encode()
    dying, heir, mover = applicant(1, 1), applicant(2, 4), applicant(3, 4)
    for n, body in enumerate((dying, heir, mover)):
        post(client, keys.officer, "/v1/applications", f"app-{n}", body)
    await until(settings, lambda e: len(of(e, ApplicationWaiting)) == 3)
    post(client, keys.sponsor_a, "/v1/pledges", "pledge", {
        "pledge_id": "pl-life", "region": REGION, "amount_idr": SEAT, "months": 12, "package": "JKK_JKM",
        "valid_from": "2026-01-05", "valid_until": "2026-12-31",
    })
    events = await until(settings, lambda e: bool(of(e, CoverageCommitted)))
    [seat] = of(events, CoverageCommitted)
    assert seat.worker == pseudonym(dying["nik"], key)
    post(client, keys.officer, "/v1/registrations/confirmations", "confirm", {
        "region": REGION, "coverage_id": seat.coverage_id, "membership_number": "70414518465",
        "start_date": "2026-01-05", "payer_id": "dealer-kendari",
    })
    await until(settings, lambda e: bool(of(e, CoverageActivated)))

    moved = post(client, keys.officer, "/v1/life-events", "moved", {
        "region": REGION, "application_id": mover["application_id"], "kind": "moved_out",
        "effective_period": "2026-01",
    })
    await until(settings, lambda e: bool(of(e, LifeEventRecorded, kind="moved_out")))
    died = post(client, keys.officer, "/v1/life-events", "died", {
        "region": REGION, "nik": dying["nik"], "kind": "deceased", "effective_period": "2026-01",
    })
    assert dying["nik"] not in str(died)
    events = await until(settings, lambda e: len(of(e, CoverageCommitted)) == 2)
    [withdrawn] = of(events, LifeEventRecorded, kind="moved_out")
    assert (withdrawn.event_id, withdrawn.status, withdrawn.outcome) == (
        f"life_event.recorded:{moved['event_id']}", "waiting", "withdrawn")
    [death] = of(events, LifeEventRecorded, kind="deceased")
    assert (death.status, death.outcome, death.claim) == ("covered", "term_ended", True)
    [ended] = of(events, CoverageEnded)
    assert (ended.coverage_id, ended.end_period, ended.months_covered, ended.months_unused) == (
        seat.coverage_id, "2026-01", 1, 11)
    assert (ended.seat, ended.released_idr) == ("refilled", 11 * 16_800)
    [refill] = of(events, CoverageCommitted, coverage_id=ended.refill_coverage_id)
    assert (refill.worker, refill.months) == (pseudonym(heir["nik"], key), 11)

    # January closes: the dead worker's last month is billed, and the term ends without renewal.
    await feed(settings, [MonthTick(event_id="tick-life-2026-01", event_time=RECEIVED.replace(month=2, day=1),
                                    region=REGION, period="2026-01")])
    events = await until(settings, lambda e: bool(of(e, BillLine)))
    assert [line.coverage_id for line in of(events, BillLine)] == [seat.coverage_id]
    assert not of(events, CoverageExpired) and not of(events, CoverageRenewed)

    assert worker_metric(worker, "jaring_life_events_total", kind="deceased") == 1
    assert worker_metric(worker, "jaring_life_events_total", kind="moved_out") == 1
    view = CityView(regions=(REGION,))
    for event in events:
        view.apply(event)
    totals = view.snapshot(REGION).totals
    assert (totals.claims_jkm, totals.withdrawn, totals.waiting, totals.registering) == (1, 2, 0, 1)

    region_log = await read_until(settings, [settings.topic(REGION_LOG.name)], lambda _: True)
    emitted = (await outputs_until(settings, lambda _: True)).values
    assert replay(region_log, key) == emitted
