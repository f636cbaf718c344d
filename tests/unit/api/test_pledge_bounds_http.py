"""The API refuses a pledge over the city's bounds early, with the engine's policy, never a copy.

In-process over HTTP and with no broker: a body over a bound is answered 422
``invalid_body`` before anything is produced, while a body within the bounds
gets as far as the (absent) broker, 503. ``tests/integration/api/
test_pledge_ids_per_sponsor.py`` checks the same against a real broker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app, openapi_document
from api.keys import KeyFile, Role, issue
from infra.settings import Settings

SMALL_CITY = '{"name": "Kota Contoh", "max_pledge_idr": 5000000, "max_pledge_seats": 20}'


def body(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "region": "74.71",
        "amount_idr": 201_600,
        "months": 12,
        "package": "JKK_JKM",
        "valid_from": "2026-01-05",
        "valid_until": "2026-04-05",
    }
    return {**fields, **overrides}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    keys = KeyFile(tmp_path / "keys.json")
    key, record = issue(Role.SPONSOR, "dealer-kendari", datetime.now(UTC))
    keys.add(record)
    (tmp_path / "key").write_text(key)
    return Settings(kafka_bootstrap="127.0.0.1:1", api_keys_file=str(keys.path))


def client(settings: Settings) -> httpx.AsyncClient:
    app = create_app(settings, now=lambda: datetime(2026, 1, 5, 2, tzinfo=UTC))
    key = (Path(settings.api_keys_file).parent / "key").read_text()
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://api",
        headers={"Authorization": f"Bearer {key}"},
    )


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with client(settings) as c:
        yield c


async def post(api: httpx.AsyncClient, key: str, **overrides: Any) -> httpx.Response:
    return await api.post("/v1/pledges", json=body(**overrides), headers={"Idempotency-Key": key})


@pytest.mark.parametrize(
    ("overrides", "field", "kind"),
    [
        ({"amount_idr": 10**15}, "amount_idr", "pledge_amount_above_limit"),
        ({"amount_idr": 10**30}, "amount_idr", "pledge_amount_above_limit"),
        ({"max_workers": 3_000_001}, "max_workers", "pledge_max_workers_above_limit"),
        ({"amount_idr": 3_000_001 * 16_800, "months": 1}, "amount_idr", "pledge_seats_above_limit"),
    ],
)
async def test_a_body_over_kendari_s_bounds_is_422_before_anything_is_produced(
    api: httpx.AsyncClient, overrides: dict[str, Any], field: str, kind: str
) -> None:
    answer = await post(api, "k1", **overrides)

    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_body")
    [error] = answer.json()["errors"]
    assert (error["field"], error["kind"]) == (field, kind)
    assert str(overrides.get("amount_idr", "no amount")) not in answer.text  # the value is never echoed
    again = await post(api, "k1")  # nothing was remembered against the key: a corrected body goes on
    assert again.status_code == 503


async def test_a_body_within_the_bounds_goes_on_to_the_broker(api: httpx.AsyncClient) -> None:
    answer = await post(api, "k2", amount_idr=1_000_000_000_000, max_workers=3_000_000)
    assert (answer.status_code, answer.json()["code"]) == (503, "kafka_unavailable")


async def test_the_bounds_are_the_policy_file_s(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "policy.json").write_text(SMALL_CITY)
    small = settings.model_copy(update={"policy_file": str(tmp_path / "policy.json")})
    async with client(small) as api:
        over = await post(api, "k1", amount_idr=5_000_001)
        within = await post(api, "k2", amount_idr=5_000_000, max_workers=20)
        seats = await post(api, "k3", amount_idr=21 * 16_800, months=1)
    assert (over.status_code, over.json()["errors"][0]["kind"]) == (422, "pledge_amount_above_limit")
    assert "Rp 5,000,000" in over.json()["errors"][0]["problem"]
    assert within.status_code == 503
    assert (seats.status_code, seats.json()["errors"][0]["kind"]) == (422, "pledge_seats_above_limit")


def test_the_contract_states_the_policy_s_bounds(tmp_path: Path) -> None:
    default = openapi_document()["components"]["schemas"]["PledgeIn"]["properties"]
    assert default["amount_idr"]["maximum"] == 1_000_000_000_000
    assert {"type": "integer", "minimum": 1, "maximum": 3_000_000}.items() <= next(
        c for c in default["max_workers"]["anyOf"] if c.get("type") == "integer"
    ).items()
    (tmp_path / "policy.json").write_text(SMALL_CITY)
    small = openapi_document(Settings(policy_file=str(tmp_path / "policy.json")))
    fields = small["components"]["schemas"]["PledgeIn"]["properties"]
    assert fields["amount_idr"]["maximum"] == 5_000_000
