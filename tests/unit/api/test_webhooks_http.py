"""The webhook desk over HTTP, in-process: who may register, what is recorded, the secret, the refusals.

The publisher is replaced by a recorder (what is under test is the API's answer and the event it
builds); ``tests/integration/api/test_webhooks.py`` runs the same routes with `jaring webhooks`, a
real broker and a real receiver.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.keys import KeyFile, Role, issue
from infra.settings import Settings
from models.codec import decode
from models.events import WebhookRegistered, WebhookReplayRequested
from models.webhooks.signing import secret_for

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
URL = "https://csr.example.co.id/jaring"


class Desk:
    def __init__(
        self, client: httpx.AsyncClient, keys: dict[str, str], sent: list[tuple[str, bytes, Any]]
    ) -> None:
        self.client, self.keys, self.sent = client, keys, sent

    async def call(
        self, method: str, path: str, who: str, key: str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[who]}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.request(method, path, headers=headers, **kw)


async def _desk(tmp_path: Path, **settings: Any) -> AsyncIterator[Desk]:
    file = KeyFile(tmp_path / "keys.json")
    keys = {}
    for name, role, subject in (
        ("sponsor", Role.SPONSOR, "dealer-kendari"),
        ("other", Role.SPONSOR, "bank-sultra"),
        ("officer", Role.OFFICER, "kendari-desk-1"),
    ):
        key, record = issue(role, subject, NOW)
        file.add(record)
        keys[name] = key
    app = create_app(
        Settings(
            kafka_bootstrap="127.0.0.1:1",
            api_keys_file=str(file.path),
            namespace="t",
            api_rate_burst=1000,
            **settings,
        ),
        now=lambda: NOW,
    )
    sent: list[tuple[str, bytes, Any]] = []

    async def publish(topic: str, key: bytes, value: bytes) -> None:
        sent.append((topic, key, decode(value)))

    app.state.services.publisher.publish = publish
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        yield Desk(client, keys, sent)


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async for d in _desk(tmp_path):
        yield d


async def test_a_registration_is_recorded_and_answers_the_secret_the_deliverer_derives(desk: Desk) -> None:
    r = await desk.call("PUT", "/v1/webhook", "sponsor", "k1", json={"url": URL})
    assert r.status_code == 202, r.text
    topic, key, event = desk.sent[-1]
    assert (topic, key) == ("t.webhooks.v1", b"dealer-kendari") and isinstance(event, WebhookRegistered)
    assert r.json()["secret"] == secret_for(
        Settings().webhook_signing_key() or b"", "dealer-kendari", event.nonce
    )
    assert r.json()["secret"] not in str(event.model_dump())  # the secret itself is on no topic
    again = await desk.call("PUT", "/v1/webhook", "sponsor", "k1", json={"url": URL})
    assert (
        again.json()["secret"] == r.json()["secret"] and len(desk.sent) == 1
    )  # a retry: same answer, no record
    rotated = await desk.call("PUT", "/v1/webhook", "sponsor", "k2", json={"url": URL})
    assert rotated.json()["secret"] != r.json()["secret"]
    shown = await desk.call("GET", "/v1/webhook", "sponsor")
    assert shown.status_code == 200 and shown.json()["url"] == URL
    assert (await desk.call("GET", "/v1/webhook", "other")).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://csr.example.co.id/x",
        "https://127.0.0.1/x",
        "https://169.254.169.254/x",
        "https://user:pw@csr.example.co.id/x",
        "not a url at all",
    ],
)
async def test_endpoints_the_city_network_would_answer_are_refused(desk: Desk, url: str) -> None:
    r = await desk.call("PUT", "/v1/webhook", "sponsor", "k1", json={"url": url})
    assert r.status_code == 422 and r.json()["code"] == "invalid_body", r.text
    assert desk.sent == []


async def test_only_a_sponsor_key_has_a_webhook(desk: Desk) -> None:
    r = await desk.call("PUT", "/v1/webhook", "officer", "k1", json={"url": URL})
    assert (r.status_code, r.json()["code"]) == (403, "wrong_role")


async def test_a_replay_needs_an_endpoint_and_something_to_replay(desk: Desk) -> None:
    nothing = await desk.call("POST", "/v1/webhook/replays", "sponsor", "r0", json={"parked": True})
    assert (nothing.status_code, nothing.json()["code"]) == (404, "not_found")
    await desk.call("PUT", "/v1/webhook", "sponsor", "k1", json={"url": URL})
    empty = await desk.call("POST", "/v1/webhook/replays", "sponsor", "r1", json={})
    assert (empty.status_code, empty.json()["code"]) == (422, "invalid_body")
    backwards = await desk.call(
        "POST",
        "/v1/webhook/replays",
        "sponsor",
        "r2",
        json={"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
    )
    assert backwards.status_code == 422
    asked = await desk.call(
        "POST", "/v1/webhook/replays", "sponsor", "r3", json={"since": "2026-03-01T00:00:00Z"}
    )
    assert asked.status_code == 202
    event = desk.sent[-1][2]
    assert isinstance(event, WebhookReplayRequested) and event.event_id == asked.json()["request_id"]


async def test_without_a_webhook_key_in_production_the_desk_says_so(tmp_path: Path) -> None:
    async for desk in _desk(tmp_path, env="production", pseudonym_key="p" * 40):
        r = await desk.call("PUT", "/v1/webhook", "sponsor", "k1", json={"url": URL})
        assert (r.status_code, r.json()["code"]) == (503, "webhooks_not_configured")


async def test_a_method_the_path_lacks_names_every_method_it_has(desk: Desk) -> None:
    """``/v1/webhook`` is served by three routes: a 405 lists all of them, not the first one's."""
    r = await desk.call("OPTIONS", "/v1/webhook", "sponsor")
    assert (r.status_code, r.headers["allow"]) == (405, "DELETE, GET, PUT")
