"""The dashboard's HTTP surface over real loopback HTTP, fed recorded events (no broker needed)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from dashboard.push import Hub
from dashboard.read_model import CityView
from dashboard.web import build_app
from models.codec import decode, loads
from models.events import Event

RECORDING = Path(__file__).parents[2] / "unit" / "dashboard" / "recorded" / "kendari-mini.tsv"
EVENTS: list[Event] = [decode(line.split("\t", 1)[1]) for line in RECORDING.read_text().splitlines()]


@dataclass
class Served:
    client: TestClient[web.Request, web.Application]
    view: CityView
    ready: list[bool]


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    view = CityView()
    ready = [False]
    hub = Hub(view, interval=0.05)
    app = build_app(view, hub, lambda: ready[0])
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(app))
    await client.start_server()
    pusher = asyncio.create_task(hub.run())
    yield Served(client, view, ready)
    pusher.cancel()
    await client.close()


async def test_the_page_is_indonesian_by_default_and_english_on_request(served: Served) -> None:
    indonesian = await (await served.client.get("/")).text()
    english = await (await served.client.get("/?lang=en")).text()

    assert '<html lang="id">' in indonesian and "Terlindungi" in indonesian and "Nelayan" in indonesian
    assert '<html lang="en">' in english and "Covered" in english and "Fisher" in english
    assert 'href="?lang=en"' in indonesian


async def test_the_page_loads_nothing_from_elsewhere(served: Served) -> None:
    response = await served.client.get("/")
    page = await response.text()

    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
    script = await served.client.get("/static/app.js")
    assert script.status == 200 and "EventSource" in await script.text()


async def test_snapshot_serves_the_folded_view(served: Served) -> None:
    for event in EVENTS:
        served.view.apply(event)

    body = loads(await (await served.client.get("/v1/snapshot?region=74.71")).read())
    default = loads(await (await served.client.get("/v1/snapshot")).read())

    assert body["totals"] == {"covered": 0, "waiting": 11, "ever_covered": 10, "rejected": 2}
    assert default == body  # with no region asked, the first region the view knows


async def test_a_malformed_region_is_a_problem_with_a_stable_code(served: Served) -> None:
    response = await served.client.get("/v1/snapshot?region=kendari")

    assert response.status == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert loads(await response.read())["type"] == "region_invalid"


async def test_the_stream_sends_the_view_now_then_each_change(served: Served) -> None:
    half = len(EVENTS) // 2
    for event in EVENTS[:half]:
        served.view.apply(event)
    response = await served.client.get("/v1/stream?region=74.71")
    assert response.headers["Content-Type"] == "text/event-stream"

    first = await _next_event(response)
    for event in EVENTS[half:]:
        served.view.apply(event)
    second = await _next_event(response)

    assert first["events"] == half
    assert second["events"] == len(EVENTS)
    assert second["totals"]["waiting"] == 11
    response.close()


async def test_health_says_503_until_the_view_is_rebuilt(served: Served) -> None:
    before = await served.client.get("/healthz")
    served.ready[0] = True
    after = await served.client.get("/healthz")

    assert (before.status, after.status) == (503, 200)


async def _next_event(response: ClientResponse) -> dict[str, Any]:
    """Read lines until one ``data:`` line; heartbeats and ``retry:`` are skipped."""
    while True:
        line = await asyncio.wait_for(response.content.readline(), 5)
        if line.startswith(b"data: "):
            result: dict[str, Any] = loads(line[6:])
            return result
