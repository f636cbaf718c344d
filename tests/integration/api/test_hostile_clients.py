"""What a hostile or careless client gets from a real API on a real broker.

An anonymous client is answered 401 (or 429 once its address is over the
anonymous rate) before anything about its body or the route is looked at;
every other refusal is a problem document with a documented code; and a
fault inside the API answers 500 ``internal_error`` telling nothing.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from types import MappingProxyType
from typing import Any

import pytest

from infra.settings import Settings
from tests.integration.api.conftest import ApiFactory, Keys, RunningApi, auth
from tests.integration.api.test_pledges_over_http import pledge_body

pytestmark = [pytest.mark.kafka]

LIMIT = 4_096
DEEP = b"[" * 2_000 + b"]" * 2_000  # 4,000 bytes: under the limit, deeper than the parser allows
JSON = MappingProxyType({"Content-Type": "application/json"})  # read-only: cases copy it


async def oversize_stream() -> AsyncIterator[bytes]:
    yield b'{"region": "74.71", "padding": "'
    for _ in range(10):
        yield b"x" * 500
    yield b'"}'


def request(case: str) -> dict[str, Any]:
    """The request of each case, without credentials; ``headers`` are merged with the caller's."""
    pledge = json.dumps(pledge_body()).encode()
    cases: dict[str, dict[str, Any]] = {
        "not JSON": {"content": b'{"region": "74.71", "amount_idr": ', "headers": JSON},
        "JSON 2,000 deep": {"content": DEEP, "headers": JSON},
        "declared over the limit": {"content": b"x" * (LIMIT + 1), "headers": JSON},
        "streamed over the limit": {"content": oversize_stream(), "headers": JSON},
        "sent as text/plain": {"content": pledge, "headers": {"Content-Type": "text/plain"}},
        "no Idempotency-Key": {"content": pledge, "headers": JSON, "idempotency_key": None},
        "an invalid field": {"content": b'{"region": "Kendari"}', "headers": JSON},
    }
    return cases[case]


AUTHENTICATED_ANSWER = {
    "not JSON": (400, "body_not_json"),
    "JSON 2,000 deep": (400, "body_too_deep"),
    "declared over the limit": (413, "body_too_large"),
    "streamed over the limit": (413, "body_too_large"),
    "sent as text/plain": (415, "unsupported_media_type"),
    "no Idempotency-Key": (400, "idempotency_key_missing"),
    "an invalid field": (422, "invalid_body"),
}


@pytest.fixture
def small(api_factory: ApiFactory, settings: Settings) -> RunningApi:
    return api_factory(settings, api_max_body_bytes=LIMIT)


@pytest.mark.parametrize("credentials", ["none", "unknown key", "valid key"])
async def test_the_body_is_judged_only_once_the_caller_is_known(
    small: RunningApi, keys: Keys, credentials: str
) -> None:
    answers: dict[str, tuple[int, str]] = {}
    async with small.client() as client:
        for case in AUTHENTICATED_ANSWER:
            spec = request(case)
            idempotency_key = spec.pop("idempotency_key", str(uuid.uuid4()))
            headers = dict(spec.pop("headers"))
            if idempotency_key:
                headers = {**headers, "Idempotency-Key": idempotency_key}
            if credentials != "none":
                key = keys.sponsor_a if credentials == "valid key" else "jk_000000000000_not-a-key"
                headers.update(auth(key))
            answer = await client.post("/v1/pledges", headers=headers, **spec)
            assert answer.headers["content-type"] == "application/problem+json", case
            answers[case] = (answer.status_code, answer.json()["code"])
            if answer.status_code == 401:
                assert answer.headers["www-authenticate"].startswith("Bearer")
    if credentials == "valid key":
        assert answers == AUTHENTICATED_ANSWER
    else:
        assert answers == dict.fromkeys(AUTHENTICATED_ANSWER, (401, "unauthenticated"))


@pytest.mark.parametrize(("method", "path"), [("DELETE", "/v1/pledges"), ("GET", "/v1/nowhere"),
                                              ("OPTIONS", "/v1/applications")])
async def test_an_anonymous_client_cannot_tell_which_v1_routes_exist(
    api: RunningApi, method: str, path: str
) -> None:
    async with api.client() as client:
        answer = await client.request(method, path)
    assert (answer.status_code, answer.json()["code"]) == (401, "unauthenticated")


async def test_a_flood_of_bad_keys_gets_429_after_the_burst_and_valid_keys_from_that_address_still_pass(
    api_factory: ApiFactory, settings: Settings, keys: Keys
) -> None:
    api = api_factory(settings, api_anonymous_rate_burst=3, api_anonymous_rate_per_s=0.5)
    bad = auth("jk_000000000000_not-a-key")
    async with api.client() as client:
        flood = [await client.get("/v1/sponsors/me/pledges", headers=bad) for _ in range(4)]
        keyless = await client.get("/v1/sponsors/me/pledges")
        valid = await client.get("/v1/sponsors/me/pledges", headers=auth(keys.sponsor_a))
        probe = await client.get("/healthz")  # public paths are not keyed, so not in the bucket
        api.clock.advance(2.0)
        later = await client.get("/v1/sponsors/me/pledges", headers=bad)
    assert [a.status_code for a in flood] == [401, 401, 401, 429]
    assert flood[-1].json()["code"] == "rate_limited" and flood[-1].headers["retry-after"] == "2"
    assert "without a valid key" in flood[-1].json()["detail"]
    assert keyless.status_code == 429  # no key at all is the same anonymous bucket
    assert valid.status_code == 200 and probe.status_code == 200
    assert later.status_code == 401


async def test_a_valid_key_is_charged_before_its_body_is_read(
    api_factory: ApiFactory, settings: Settings, keys: Keys
) -> None:
    """A flood of unreadable bodies from a valid key is still a flood."""
    api = api_factory(settings, api_rate_burst=2, api_rate_per_s=0.5)
    headers = {**auth(keys.sponsor_a, "k"), **JSON}
    async with api.client() as client:
        answers = [await client.post("/v1/pledges", content=b"{not json", headers=headers) for _ in range(3)]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (400, "body_not_json"), (400, "body_not_json"), (429, "rate_limited")
    ]


@pytest.mark.parametrize(
    ("method", "path", "extra", "status", "code"),
    [
        ("POST", "/v1/pledges", {"content": b'{"a": "\xff"}', "headers": JSON}, 400, "body_not_json"),
        ("POST", "/v1/pledges", {"content": b"{}"}, 415, "unsupported_media_type"),
        ("POST", "/v1/pledges", {"json": {}, "headers": {"Idempotency-Key": "k" * 256}}, 400,
         "idempotency_key_invalid"),
        ("DELETE", "/v1/pledges", {}, 405, "method_not_allowed"),
        ("PUT", "/v1/pledges/pl-1", {}, 405, "method_not_allowed"),
        ("OPTIONS", "/healthz", {}, 405, "method_not_allowed"),
        ("GET", "/nowhere", {}, 404, "not_found"),
        ("GET", "/v1/pledges/" + "x" * 2_000, {}, 404, "not_found"),
    ],
)
async def test_every_refusal_is_a_problem_with_a_documented_code(
    api: RunningApi, keys: Keys, method: str, path: str, extra: dict[str, Any], status: int, code: str
) -> None:
    extra = dict(extra)
    headers = {**auth(keys.sponsor_a, str(uuid.uuid4())), **extra.pop("headers", {})}
    async with api.client() as client:
        answer = await client.request(method, path, headers=headers, **extra)
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert (answer.status_code, body["code"], body["type"]) == (status, code, f"urn:jaring:problem:{code}")
    assert body["detail"]
    if status == 405:
        assert answer.headers["allow"]


async def test_head_is_refused_as_a_problem_without_a_body(api: RunningApi) -> None:
    async with api.client() as client:
        answer = await client.head("/healthz")
    assert (answer.status_code, answer.headers["content-type"], answer.content) == (
        405, "application/problem+json", b""
    )
    assert answer.headers["allow"] == "GET"


async def test_a_fault_inside_the_api_is_a_500_problem_that_tells_nothing(
    api: RunningApi, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    """A key file an operator broke by hand: every keyed request fails inside the API."""
    good = keys.file.read_bytes()
    marker = "f00dfeedcafe"
    keys.file.write_text(json.dumps({"keys": [{"key_id": marker, "role": "nobody"}]}))
    caplog.set_level(logging.INFO)
    try:
        async with api.client() as client:
            broken = await client.get("/v1/sponsors/me/pledges", headers=auth(keys.sponsor_a))
            keys.file.write_bytes(good)
            mended = await client.get("/v1/sponsors/me/pledges", headers=auth(keys.sponsor_a))
            exposition = (await client.get("/metrics")).text
    finally:
        keys.file.write_bytes(good)
    assert broken.headers["content-type"] == "application/problem+json"
    assert (broken.status_code, broken.json()["code"]) == (500, "internal_error")
    assert marker not in broken.text and "ValidationError" not in broken.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "internal_error: KeyFileInvalidError on GET /v1/sponsors/me/pledges" in logged
    assert marker not in logged and "nobody" not in logged  # the message quotes values: never logged
    assert mended.status_code == 200
    counted = 'jaring_api_requests_total{method="GET",route="/v1/sponsors/me/pledges",status="500"} 1.0'
    assert counted in exposition
