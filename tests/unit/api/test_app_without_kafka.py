"""The app in-process with no broker at all: it refuses honestly, and never says 202."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx

from api.app import create_app
from api.keys import KeyFile, Role, issue
from infra.settings import Settings


async def test_without_kafka_a_pledge_gets_503_with_retry_after_every_time(tmp_path: Path) -> None:
    keys = KeyFile(tmp_path / "keys.json")
    key, record = issue(Role.SPONSOR, "dealer-kendari", datetime.now(UTC))
    keys.add(record)
    app = create_app(Settings(kafka_bootstrap="127.0.0.1:1", api_keys_file=str(keys.path)))
    body = {
        "region": "74.71",
        "amount_idr": 201_600,
        "months": 12,
        "package": "JKK_JKM",
        "valid_from": "2026-01-05",
        "valid_until": "2026-04-05",
    }
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "k1"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        first = await client.post("/v1/pledges", json=body, headers=headers)
        retry = await client.post("/v1/pledges", json=body, headers=headers)
        ready = await client.get("/readyz")
        health = await client.get("/healthz")
    for answer in (first, retry):  # the failed attempt was forgotten: the retry is not "in flight"
        assert (answer.status_code, answer.json()["code"]) == (503, "kafka_unavailable")
        assert answer.headers["retry-after"] == "5"
    assert (ready.status_code, ready.json()["code"]) == (503, "not_ready")
    assert health.status_code == 200
