"""What a sponsor or an officer sees for each kind of request, against a real broker."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import pytest

from infra.settings import Settings
from infra.topic_io import Record, read_until
from models.codec import decode
from models.topics import APPLICATIONS, PLEDGES
from tests.integration.api.conftest import ApiFactory, Keys, RunningApi, auth
from tests.integration.api.test_pledges_over_http import pledge_body
from tests.unit.factories import make_nik

pytestmark = [pytest.mark.kafka]


def application_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nik": make_nik(serial=77),
        "name": "Wa Ode Rahasia",
        "birth_date": "1985-06-15",
        "sex": "M",
        "regency": "74.71",
        "district": "74.71.01",
        "occupation": "fisher",
        "declared_income_idr": 1_000_000,
        "welfare_decile": 2,
    }
    body.update(overrides)
    return body


async def records_on(settings: Settings, topic: str, at_least: int) -> list[Record]:
    return await read_until(
        settings.kafka_bootstrap, [settings.topic(topic)], lambda rs: len(rs) >= at_least, timeout=20
    )


async def test_concurrent_retries_with_one_key_give_one_record_and_one_answer(
    api: RunningApi, keys: Keys, settings: Settings
) -> None:
    body, key = pledge_body(), str(uuid.uuid4())
    async with api.client() as client:
        answers = await asyncio.gather(
            *[client.post("/v1/pledges", json=body, headers=auth(keys.sponsor_a, key)) for _ in range(8)]
        )
        statuses = sorted(a.status_code for a in answers)
        assert set(statuses) <= {202, 409} and 202 in statuses
        assert all(a.headers["retry-after"] == "1" for a in answers if a.status_code == 409)
        retried = await client.post("/v1/pledges", json=body, headers=auth(keys.sponsor_a, key))
        other = await client.post(
            "/v1/pledges", json=pledge_body(amount_idr=999_999), headers=auth(keys.sponsor_a, key)
        )
        # Another sponsor's identical key is another request: scoped per sponsor.
        theirs = await client.post("/v1/pledges", json=body, headers=auth(keys.sponsor_b, key))

    first = next(a for a in answers if a.status_code == 202).json()
    assert (retried.status_code, retried.json()) == (202, first)
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert theirs.status_code == 202 and theirs.json()["pledge_id"] != first["pledge_id"]
    records = await records_on(settings, PLEDGES.name, 2)
    assert sorted(decode(r.value).event_id for r in records) == sorted(
        [first["event_id"], theirs.json()["event_id"]]
    )


async def test_a_pledge_without_an_idempotency_key_is_refused(api: RunningApi, keys: Keys) -> None:
    async with api.client() as client:
        answer = await client.post("/v1/pledges", json=pledge_body(), headers=auth(keys.sponsor_a))
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "idempotency_key_missing"
    assert answer.json()["type"] == "urn:jaring:problem:idempotency_key_missing"


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthenticated"),
        ({"Authorization": "Bearer jk_000000000000_not-a-key"}, 401, "unauthenticated"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401, "unauthenticated"),
    ],
)
async def test_requests_without_a_valid_key_are_unauthenticated(
    api: RunningApi, headers: dict[str, str], status: int, code: str
) -> None:
    async with api.client() as client:
        answer = await client.post(
            "/v1/pledges", json=pledge_body(), headers={**headers, "Idempotency-Key": "k"}
        )
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert answer.headers["www-authenticate"].startswith("Bearer")


async def test_a_revoked_key_stops_working_without_a_restart(api: RunningApi, keys: Keys) -> None:
    from api.keys import KeyFile

    key_id = keys.sponsor_b.split("_")[1]
    async with api.client() as client:
        assert (await client.get("/v1/sponsors/me/pledges", headers=auth(keys.sponsor_b))).status_code == 200
        KeyFile(keys.file).revoke(key_id)
        assert (await client.get("/v1/sponsors/me/pledges", headers=auth(keys.sponsor_b))).status_code == 401


async def test_each_role_is_refused_the_other_roles_route(api: RunningApi, keys: Keys) -> None:
    async with api.client() as client:
        officer_pledging = await client.post(
            "/v1/pledges", json=pledge_body(), headers=auth(keys.officer, "a")
        )
        sponsor_applying = await client.post(
            "/v1/applications", json=application_body(), headers=auth(keys.sponsor_a, "b")
        )
        officer_reading = await client.get("/v1/sponsors/me/pledges", headers=auth(keys.officer))
    for answer in (officer_pledging, sponsor_applying, officer_reading):
        assert (answer.status_code, answer.json()["code"]) == (403, "wrong_role")


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b'{"region": "74.71", "amount_idr": ', 400, "body_not_json"),
        (b"[]", 422, "invalid_body"),
        (b'{"region": "74.71"}', 422, "invalid_body"),
    ],
)
async def test_malformed_bodies_are_problems_that_name_the_fix(
    api: RunningApi, keys: Keys, content: bytes, status: int, code: str
) -> None:
    headers = {**auth(keys.sponsor_a, str(uuid.uuid4())), "Content-Type": "application/json"}
    async with api.client() as client:
        answer = await client.post("/v1/pledges", content=content, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    assert answer.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sponsor_id": "someone-else"}, "sponsor_id"),  # the sponsor comes from the key
        ({"amount_idr": "2016000"}, "amount_idr"),  # a string is not a number
        ({"amount_idr": 0}, "amount_idr"),
        ({"region": "Kendari"}, "region"),
        ({"valid_from": 20260101}, "valid_from"),
        ({"targeting": {"sexes": ["X"]}}, "targeting.sexes.0"),
    ],
)
async def test_invalid_pledge_fields_are_named_in_a_422(
    api: RunningApi, keys: Keys, change: dict[str, Any], field: str
) -> None:
    async with api.client() as client:
        answer = await client.post(
            "/v1/pledges", json=pledge_body(**change), headers=auth(keys.sponsor_a, str(uuid.uuid4()))
        )
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_body")
    assert field in [e["field"] for e in answer.json()["errors"]]


async def test_oversize_bodies_are_refused_declared_or_streamed(
    api_factory: ApiFactory, settings: Settings, keys: Keys
) -> None:
    api = api_factory(settings, api_max_body_bytes=2_048)
    big = pledge_body(targeting={"districts": ["74.71.01"] * 300})

    async def chunks() -> Any:
        yield b'{"region": "74.71", "padding": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'"}'

    async with api.client() as client:
        declared = await client.post("/v1/pledges", json=big, headers=auth(keys.sponsor_a, "big"))
        streamed = await client.post(
            "/v1/pledges",
            content=chunks(),
            headers={**auth(keys.sponsor_a, "big2"), "Content-Type": "application/json"},
        )
    for answer in (declared, streamed):
        assert (answer.status_code, answer.json()["code"]) == (413, "body_too_large")


async def test_an_officer_submits_an_application_and_neither_nik_nor_name_is_logged(
    api: RunningApi, keys: Keys, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    body = application_body()
    caplog.set_level(logging.DEBUG)
    async with api.client() as client:
        bad = await client.post(
            "/v1/applications", json={**body, "birth_date": 19850615}, headers=auth(keys.officer, "x1")
        )
        good = await client.post("/v1/applications", json=body, headers=auth(keys.officer, "x2"))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    caplog.set_level(logging.WARNING)
    assert (bad.status_code, good.status_code) == (422, 202)
    assert body["nik"] not in bad.text and body["name"] not in bad.text
    assert good.json()["application_id"] in logged  # the API logged the submission ...
    assert body["nik"] not in logged and body["name"] not in logged  # ... but never who it was about
    [record] = await records_on(settings, APPLICATIONS.name, 1)
    event = decode(record.value)
    assert (event.event_id, record.key) == (good.json()["event_id"], b"74.71")


async def test_each_key_is_rate_limited_on_its_own(
    api_factory: ApiFactory, settings: Settings, keys: Keys
) -> None:
    api = api_factory(settings, api_rate_burst=3, api_rate_per_s=0.5)
    async with api.client() as client:
        mine = [(await client.get("/v1/sponsors/me/pledges", headers=auth(keys.sponsor_a))) for _ in range(4)]
        theirs = await client.get("/v1/sponsors/me/pledges", headers=auth(keys.sponsor_b))
        api.clock.advance(1.9)
        early = await client.get("/v1/sponsors/me/pledges", headers=auth(keys.sponsor_a))
        api.clock.advance(2.0)  # one token is back after 2 s at 0.5/s, whatever the 429s in between
        refilled = await client.get("/v1/sponsors/me/pledges", headers=auth(keys.sponsor_a))
    assert [a.status_code for a in mine] == [200, 200, 200, 429]
    assert mine[-1].json()["code"] == "rate_limited" and mine[-1].headers["retry-after"] == "2"
    assert theirs.status_code == 200
    assert (early.status_code, early.headers["retry-after"]) == (429, "1")
    assert refilled.status_code == 200


async def test_metrics_count_requests_by_route_template_never_by_id(api: RunningApi, keys: Keys) -> None:
    async with api.client() as client:
        for pledge_id in ("pl-a", "pl-b", "pl-c"):
            await client.get(f"/v1/pledges/{pledge_id}", headers=auth(keys.sponsor_a))
        exposition = (await client.get("/metrics")).text
    assert (
        'jaring_api_requests_total{method="GET",route="/v1/pledges/{pledge_id}",status="404"} 3.0'
        in exposition
    )
    assert 'jaring_api_request_seconds_count{method="GET",route="/v1/pledges/{pledge_id}"} 3.0' in exposition
    assert "pl-a" not in exposition
