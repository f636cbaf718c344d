"""A hostile second sponsor probes and squats pledge ids through the real API, broker and worker.

The outside tester's attack: sponsor B posts sponsor A's ``pledge_id``, before A
(so that A's pledge would be refused ``duplicate_pledge``) and after A (so that
B's answer would reveal that A's pledge exists). A pledge id is now its
sponsor's: B's posts make B's own pledges and B's answers are about them only,
A's pledges are accepted and matched regardless, and each sponsor reads only
its own. The pledge-status topic is keyed by (sponsor, pledge). A body over the
city's bounds is refused before it reaches a topic.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import httpx
import pytest

from infra.settings import Settings
from infra.topic_io import Record, read_until
from jaring.demo import feed
from models.codec import decode
from models.events import (
    ApplicationWaiting,
    CoverageCommitted,
    PledgeAccepted,
    PledgeExhausted,
    PledgeRejected,
    PledgeSubmitted,
    pledge_key,
)
from models.topics import APPLICATION_STATUS, COVERAGE, PLEDGE_STATUS, PLEDGES
from tests.conftest import WorkerFactory
from tests.integration.api.conftest import RECEIVED, ApiFactory, Keys, auth
from tests.unit.factories import application

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SEAT = 16_800 * 12
A, B = "dealer-kendari", "bank-sultra"


def body(pledge_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "pledge_id": pledge_id,
        "region": "74.71",
        "amount_idr": SEAT,
        "months": 12,
        "package": "JKK_JKM",
        "valid_from": "2026-01-05",
        "valid_until": "2026-04-05",
        **overrides,
    }


async def post(client: httpx.AsyncClient, key: str, idempotency_key: str, payload: dict[str, Any]) -> Any:
    answer = await client.post("/v1/pledges", json=payload, headers=auth(key, idempotency_key))
    assert answer.status_code == 202, answer.text
    return answer.json()


async def status_until(client: httpx.AsyncClient, key: str, pledge_id: str, **want: Any) -> dict[str, Any]:
    """Poll the sponsor's status until the engine's answer shows ``want``."""
    last: dict[str, Any] = {}
    for _ in range(600):
        answer = await client.get(f"/v1/pledges/{pledge_id}", headers=auth(key))
        if answer.status_code == 200:
            last = answer.json()
            if all(last[k] == v for k, v in want.items()):
                return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"pledge {pledge_id} never reached {want}; last {last}")


def count(kind: type, records: list[Record]) -> int:
    return sum(isinstance(decode(r.value), kind) for r in records)


async def test_a_second_sponsor_can_neither_probe_nor_squat_another_s_pledge_ids(
    settings: Settings, worker_factory: WorkerFactory, api_factory: ApiFactory, keys: Keys
) -> None:
    worker_factory()
    api = api_factory(settings)
    # The region's month is its first event's: January 2026, the month of every date sent here.
    await feed(
        settings,
        [
            application(event_time=RECEIVED, submitted_at=RECEIVED, birth_date=date(1980 + n, 3, 1), serial=n)
            for n in range(1, 4)
        ],
    )
    await read_until(
        settings, [settings.topic(APPLICATION_STATUS.name)], lambda rs: count(ApplicationWaiting, rs) == 3
    )

    async with api.client() as client:
        # The squat: B posts "shared-1" before A does; then A posts it.
        await post(client, keys.sponsor_b, "b-squat", body("shared-1"))
        await post(client, keys.sponsor_a, "a-shared", body("shared-1"))
        # The probe: A's "probe-1" is accepted first; then B posts the same id.
        await post(client, keys.sponsor_a, "a-probe", body("probe-1"))
        await status_until(client, keys.sponsor_a, "probe-1", status="exhausted")
        probe = await post(client, keys.sponsor_b, "b-probe", body("probe-1", amount_idr=3 * SEAT))
        assert probe == {
            "pledge_id": "probe-1",
            "event_id": probe["event_id"],
            "status": "submitted",
            "status_url": "/v1/pledges/probe-1",
        }
        assert probe["event_id"].startswith(f"pledge.api:{B}:")
        # B's own duplicate, for the precedence: it must not downgrade B's accepted pledge.
        await post(client, keys.sponsor_b, "b-again", body("shared-1"))
        # A body over the city's bounds never reaches the topic.
        refused = await client.post(
            "/v1/pledges", json=body("huge-1", amount_idr=10**15), headers=auth(keys.sponsor_a, "a-huge")
        )
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_body")
        assert refused.json()["errors"][0]["kind"] == "pledge_amount_above_limit"

        # Five submissions reached the engine: five answers, read before any status is polled.
        statuses = await read_until(
            settings, [settings.topic(PLEDGE_STATUS.name)],
            lambda rs: count(PledgeAccepted, rs) + count(PledgeRejected, rs) == 5,
        )
        answers = [(r.key, decode(r.value)) for r in statuses]
        rejections = [
            (e.sponsor_id, e.pledge_id, e.reason) for _, e in answers if isinstance(e, PledgeRejected)
        ]
        assert rejections == [(B, "shared-1", "duplicate_pledge")]  # B's own duplicate, nothing of A's

        b_probe = await status_until(client, keys.sponsor_b, "probe-1", status="accepted")
        a_shared = await status_until(client, keys.sponsor_a, "shared-1", status="exhausted")
        b_shared = await status_until(client, keys.sponsor_b, "shared-1", status="exhausted")
        a_probe = await status_until(client, keys.sponsor_a, "probe-1", status="exhausted")
        a_all = (await client.get("/v1/sponsors/me/pledges", headers=auth(keys.sponsor_a))).json()
        b_all = (await client.get("/v1/sponsors/me/pledges", headers=auth(keys.sponsor_b))).json()
        a_huge = await client.get("/v1/pledges/huge-1", headers=auth(keys.sponsor_a))

    # B's answer about "probe-1" is B's own pledge: its amount, its seats, no worker left for it.
    assert (b_probe["amount_idr"], b_probe["seats"], b_probe["seats_filled"], b_probe["reason"]) == (
        3 * SEAT, 3, 0, None
    )
    # A's pledges were accepted and matched, whatever B posted before or after.
    for mine in (a_shared, a_probe):
        assert (mine["seats"], mine["seats_filled"], mine["workers_covered"]) == (1, 1, 1)
        assert mine["reason"] is None
    # B's own duplicate was rejected on the topic, yet B's pledge still reads exhausted.
    assert (b_shared["seats_filled"], b_shared["reason"]) == (1, None)
    # Each sponsor reads only its own pledges.
    assert [p["pledge_id"] for p in a_all["pledges"]] == ["probe-1", "shared-1"]
    assert [p["pledge_id"] for p in b_all["pledges"]] == ["probe-1", "shared-1"]
    assert (a_all["totals"]["workers_covered"], b_all["totals"]["workers_covered"]) == (2, 1)
    assert (a_all["totals"]["pledged_idr"], b_all["totals"]["pledged_idr"]) == (2 * SEAT, 4 * SEAT)
    assert a_huge.status_code == 404

    # The pledge-status topic is keyed by (sponsor, pledge).
    for key, event in answers:
        assert isinstance(event, PledgeAccepted | PledgeRejected | PledgeExhausted)
        assert key == pledge_key(event.sponsor_id, event.pledge_id).encode()
    assert {key for key, _ in answers} == {
        b"bank-sultra:shared-1", b"dealer-kendari:shared-1", b"dealer-kendari:probe-1", b"bank-sultra:probe-1"
    }

    coverage = await read_until(
        settings, [settings.topic(COVERAGE.name)], lambda rs: count(CoverageCommitted, rs) == 3
    )
    covered = [e for r in coverage if isinstance(e := decode(r.value), CoverageCommitted)]
    assert sorted(e.coverage_id.rsplit(":", 2)[0] for e in covered) == [
        "bank-sultra:shared-1", "dealer-kendari:probe-1", "dealer-kendari:shared-1"
    ]
    submitted = await read_until(
        settings, [settings.topic(PLEDGES.name)], lambda rs: count(PledgeSubmitted, rs) == 5
    )
    assert {decode(r.value).pledge_id for r in submitted} == {"shared-1", "probe-1"}  # type: ignore[union-attr]
