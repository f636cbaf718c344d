"""``POST /v1/quotes`` on a real API, broker and worker: a quote, then the same pledge, seats the same."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest

from infra.settings import Settings
from infra.topic_io import Record, read_until
from jaring.demo import feed
from models.codec import decode
from models.events import CoverageCommitted
from models.nik import Sex
from models.occupations import Occupation
from models.topics import COVERAGE, PLEDGES
from tests.conftest import WorkerFactory
from tests.integration.api.conftest import RECEIVED, ApiFactory, Keys, RunningApi, auth
from tests.unit.factories import application

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

BODY: dict[str, Any] = {
    "region": "74.71",
    "amount_idr": 7 * 16_800 * 3 + 1_000,
    "months": 3,
    "package": "JKK_JKM",
    "targeting": {"occupations": ["fisher", "ojek_driver"]},
    "valid_from": str(RECEIVED.date()),
    "valid_until": str(RECEIVED.date() + timedelta(days=60)),
}
"""Seven seats for three months, for fishers and ojek drivers only: the tailors are not admitted."""


async def quote_when(api: RunningApi, client: httpx.AsyncClient, key: str, waiting: int) -> dict[str, Any]:
    """The quote once the API's read model holds ``waiting`` waiting workers (it reads the topics).

    Each poll moves the rate limiter's clock a second: polling is not what the test is about.
    """
    answer: dict[str, Any] = {}
    for _ in range(600):
        api.clock.advance(1.0)
        response = await client.post("/v1/quotes", json=BODY, headers=auth(key))
        assert response.status_code == 200, response.text
        answer = response.json()
        if answer["waiting_considered"] == waiting and answer["caught_up"]:
            return answer
        await asyncio.sleep(0.1)
    raise AssertionError(f"the API never saw {waiting} waiting workers; last quote {answer}")


async def test_a_quote_then_the_same_pledge_covers_the_counts_quoted(
    settings: Settings, worker_factory: WorkerFactory, api_factory: ApiFactory, keys: Keys
) -> None:
    worker_factory()
    people = [
        application(event_id=f"evt-q-{n}", application_id=f"q-{n}", serial=n + 1, event_time=RECEIVED,
                    submitted_at=RECEIVED - timedelta(minutes=n), district=f"74.71.0{1 + n % 3}",
                    occupation=(Occupation.FISHER, Occupation.OJEK_DRIVER, Occupation.TAILOR)[n % 3],
                    sex=Sex.FEMALE if n % 2 else Sex.MALE, welfare_decile=1 + n % 4)
        for n in range(12)
    ]
    await feed(settings, people)
    api = api_factory(settings)
    async with api.client() as client:
        quoted = await quote_when(api, client, keys.sponsor_a, waiting=12)
        assert (quoted["seats"], quoted["workers_covered"], quoted["free_seats"]) == (7, 7, 0)
        assert quoted["remainder_idr"] == 1_000 and quoted["runway_months"] == 3
        assert [m["period"] for m in quoted["months"]] == ["2026-01", "2026-02", "2026-03"]
        officer = await client.post("/v1/quotes", json=BODY, headers=auth(keys.officer))
        assert officer.status_code == 403

        posted = await client.post("/v1/pledges", json=BODY, headers=auth(keys.sponsor_a, "quoted"))
        assert posted.status_code == 202, posted.text
        pledge_id = posted.json()["pledge_id"]

    def seated(records: list[Record]) -> list[CoverageCommitted]:
        return [e for r in records if isinstance(e := decode(r.value), CoverageCommitted)
                and e.pledge_id == pledge_id]

    records = await read_until(settings, [settings.topic(COVERAGE.name)], lambda rs: len(seated(rs)) >= 7)
    covered = seated(records)
    assert len(covered) == quoted["workers_covered"]
    for group, field in (("by_district", "district"), ("by_occupation", "occupation"), ("by_sex", "sex"),
                         ("by_welfare_decile", "welfare_decile")):
        counts = Counter(str(getattr(e, field)) for e in covered)
        table = quoted[group]
        assert {k: counts[k] for k in table["cells"]} == table["cells"], group
        assert sum(counts[k] for k in table["merged"]) == table["other"], group
        assert sum(counts.values()) == table["total"] == 7, group
    pledges = await read_until(settings, [settings.topic(PLEDGES.name)], lambda rs: len(rs) >= 1)
    assert len(pledges) == 1  # the quotes produced nothing: the one record is the pledge
