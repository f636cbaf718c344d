"""A sponsor pledges over HTTP; the engine covers workers; the sponsor reads the ledger."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from infra.settings import Settings
from infra.topic_io import Record, read_until
from jaring.demo import feed
from jaring.processes import ServiceProcess
from models.codec import decode
from models.events import CoverageCommitted
from models.topics import COVERAGE
from tests.conftest import WorkerFactory
from tests.integration.api.conftest import RECEIVED, ApiProcessFactory, Keys, auth, base_url
from tests.unit.factories import application

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SEAT = 16_800 * 12


def pledge_body(**overrides: Any) -> dict[str, Any]:
    """A valid pledge, open from the day of ``RECEIVED``: fixed dates, never "today"."""
    today = RECEIVED.date()
    body: dict[str, Any] = {
        "region": "74.71",
        "amount_idr": 2 * SEAT,
        "months": 12,
        "package": "JKK_JKM",
        "valid_from": str(today),
        "valid_until": str(today + timedelta(days=90)),
    }
    body.update(overrides)
    return body


@pytest.fixture
def api_process(api_process_factory: ApiProcessFactory) -> ServiceProcess:
    return api_process_factory()


async def status_until(
    client: httpx.AsyncClient, key: str, pledge_id: str, want: dict[str, Any]
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for _ in range(300):
        response = await client.get(f"/v1/pledges/{pledge_id}", headers=auth(key))
        if response.status_code == 200:
            body = response.json()
            if all(body[k] == v for k, v in want.items()):
                return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"pledge {pledge_id} never reached {want}; last {body}")


async def test_a_pledge_posted_over_http_covers_waiting_workers_and_shows_in_the_sponsors_ledger(
    settings: Settings, worker_factory: WorkerFactory, api_process: ServiceProcess, keys: Keys
) -> None:
    # The region's month is its first event's: applications stamped in January 2026 make it
    # January whatever today is, and the pledge (valid from 5 January) opens in it. The child
    # process stamps its receipt with the real clock, which decides nothing here.
    now = RECEIVED
    worker_factory()
    await feed(
        settings,
        [
            application(event_time=now, submitted_at=now, birth_date=date(1980 + n, 3, 1), serial=n)
            for n in range(1, 4)
        ],
    )

    async with httpx.AsyncClient(base_url=base_url(api_process), timeout=30.0) as client:
        posted = await client.post("/v1/pledges", json=pledge_body(), headers=auth(keys.sponsor_a, "first"))
        assert posted.status_code == 202, posted.text
        pledge_id = posted.json()["pledge_id"]
        assert posted.headers["location"] == f"/v1/pledges/{pledge_id}"

        def two_covered(records: list[Record]) -> bool:
            return (
                sum(
                    isinstance(e := decode(r.value), CoverageCommitted) and e.pledge_id == pledge_id
                    for r in records
                )
                >= 2
            )

        records = await read_until(settings.kafka_bootstrap, [settings.topic(COVERAGE.name)], two_covered)
        covered = [e for r in records if isinstance(e := decode(r.value), CoverageCommitted)]
        assert {e.sponsor_id for e in covered} == {"dealer-kendari"}

        status = await status_until(
            client, keys.sponsor_a, pledge_id, {"status": "exhausted", "workers_covered": 2}
        )
        assert (status["pledged_idr"], status["committed_idr"], status["uncommitted_idr"]) == (
            2 * SEAT,
            2 * SEAT,
            0,
        )
        assert (status["seats"], status["seats_filled"], status["runway_months"]) == (2, 2, 12)
        ledger = (await client.get("/v1/sponsors/me/pledges", headers=auth(keys.sponsor_a))).json()
        assert ledger["totals"]["workers_covered"] == 2
        assert [p["pledge_id"] for p in ledger["pledges"]] == [pledge_id]

        other = await client.get(f"/v1/pledges/{pledge_id}", headers=auth(keys.sponsor_b))
        assert other.status_code == 404
        assert other.json()["code"] == "not_found"
        assert (await client.get("/v1/sponsors/me/pledges", headers=auth(keys.sponsor_b))).json()[
            "pledges"
        ] == []
