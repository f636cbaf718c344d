"""The dashboard's HTTP surface over real loopback HTTP, fed recorded events (no broker needed).

Its regions are the city's (``CityView(regions=...)``, from the policy): the
recording is Kendari's, and a rejected pledge for ``00.00`` (the engine's
real answer, from ``RegionMatcher``) is mixed in to show it never reaches
the page.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser

from dashboard.consumer import TOPICS
from dashboard.push import Hub
from dashboard.read_model import CityView
from dashboard.web import build_app
from infra.settings import DEV_PSEUDONYM_KEY
from jaring.scenario import pledges
from models.codec import decode, loads
from models.events import Event, OutputEvent
from models.matcher import RegionMatcher
from tests.unit.dashboard.city_story import city

RECORDING = Path(__file__).parents[2] / "unit" / "dashboard" / "recorded" / "kendari-mini.tsv"
EVENTS: list[Event] = [  # what the dashboard reads: its topics' records (bills are not among them)
    decode(raw) for topic, raw in (line.split("\t", 1) for line in RECORDING.read_text().splitlines())
    if topic in TOPICS
]


def _fuzz_pledge_answer() -> list[OutputEvent]:
    """The engine's answer to ``POST /v1/pledges {"region": "00.00", ...}``: a rejection keyed by 00.00."""
    first = next(e for e in EVENTS)
    offer = pledges([2], start=first.event_time, region="00.00", id_prefix="fuzz")[0]
    return list(RegionMatcher("00.00", DEV_PSEUDONYM_KEY.encode()).handle(offer).outputs)


@dataclass
class Served:
    client: TestClient[web.Request, web.Application]
    view: CityView
    ready: list[bool]


@pytest.fixture
async def served(request: pytest.FixtureRequest) -> AsyncIterator[Served]:
    view = CityView(regions=getattr(request, "param", ("74.71",)))
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

    assert body["totals"] == {
        "covered": 0, "waiting": 11, "ever_covered": 11, "rejected": 2, "registering": 0, "lapsed": 1,
        "withdrawn": 0, "claims_jkm": 0, "claims_jkk": 0,
    }
    last = body["money"][-1]
    assert (last["arrears_idr"], last["written_off_idr"], last["refunds_owed_idr"], last["refunded_idr"]) == (
        0, 100_800, 16_800, 10_000,
    )
    assert default == body  # with no region asked, the first region the view knows


@pytest.mark.parametrize(
    "query",
    ["region=kendari", "region=74.71%0A", "region=%0A74.71", "region=74.71%20", "region=", "region=7471",
     "region=74.71&region=74.72", "region=%EF%BC%97%EF%BC%94.71"],
)
@pytest.mark.parametrize("path", ["/", "/v1/snapshot", "/v1/stream"])
async def test_a_malformed_region_is_a_problem_with_a_stable_code(
    served: Served, path: str, query: str
) -> None:
    response = await served.client.get(f"{path}?{query}")

    assert response.status == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert loads(await response.read())["type"] == "region_invalid"


@pytest.mark.parametrize("path", ["/", "/v1/snapshot", "/v1/stream"])
async def test_a_region_the_city_does_not_serve_is_refused_even_with_its_events(
    served: Served, path: str
) -> None:
    for event in _fuzz_pledge_answer():
        served.view.apply(event)

    response = await served.client.get(f"{path}?region=00.00")

    assert response.status == 404
    body = loads(await response.read())
    assert body["type"] == "region_not_served"
    assert "74.71" in body["detail"]


async def test_a_pledge_for_00_00_never_reaches_the_page_and_is_counted_for_the_operator(
    served: Served,
) -> None:
    fuzz = _fuzz_pledge_answer()
    assert fuzz and {e.region for e in fuzz} == {"00.00"}
    for event in [*fuzz, *EVENTS]:
        served.view.apply(event)

    default = loads(await (await served.client.get("/v1/snapshot")).read())
    health = loads(await (await served.client.get("/healthz")).read())
    page = await (await served.client.get("/")).text()

    assert (default["region"], default["regions"]) == ("74.71", ["74.71"])
    assert default["region_name"] == "Kota Kendari"
    assert default["totals"]["rejected"] == 2  # Kendari's own two, not the fuzzer's
    assert (health["regions"], health["other_region_records"]) == (["74.71"], len(fuzz))
    assert "00.00" not in page


@pytest.mark.parametrize("served", [("74.72", "74.71")], indirect=True)
async def test_with_several_regions_the_default_is_the_first_the_city_serves(served: Served) -> None:
    for event in EVENTS:
        served.view.apply(event)

    default = loads(await (await served.client.get("/v1/snapshot")).read())
    kendari = loads(await (await served.client.get("/v1/snapshot?region=74.71")).read())

    assert (default["region"], default["regions"]) == ("74.72", ["74.72", "74.71"])
    assert default["totals"]["waiting"] == 0  # Bau-Bau: nothing yet, though 74.71 sorts first
    assert kendari["totals"]["waiting"] == 11
    assert default["region_names"] == {"74.72": "Kota Bau Bau", "74.71": "Kota Kendari"}


async def test_districts_are_served_with_their_names(served: Served) -> None:
    for event in EVENTS:
        served.view.apply(event)

    body = loads(await (await served.client.get("/v1/snapshot")).read())

    names = {row["key"]: row["name"] for row in body["districts"]}
    assert names["74.71.01"] == "Mandonga" and names["74.71.07"] == "Wua-Wua"
    # nobody is covered at the story's end: no district holds five covered, so the feed names none
    assert body["recent"] and all(a["district"] is a["district_name"] is None for a in body["recent"])
    assert body["min_cell"] == 5 and "worker" not in body["recent"][0]


async def test_the_stream_sends_the_view_now_then_each_change(served: Served) -> None:
    half = len(EVENTS) // 2
    for event in EVENTS[:half]:
        served.view.apply(event)
    response = await served.client.get("/v1/stream?region=74.71")
    assert response.headers["Content-Type"] == "text/event-stream"

    first = await _next_event(response)
    for event in EVENTS[half:]:
        served.view.apply(event)
    # The hub may still push the first half's change if its tick came after the page subscribed
    # (a loaded machine): a repeat of the state the page has, harmless, never an older one.
    second = await _next_event(response)
    while second["events"] == half:
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


async def test_the_page_in_a_browser_shows_no_count_under_five_only_merged_rows(
    served: Served, browser: Browser
) -> None:
    """Mid-story, the mini recording's districts and trades hold 1 to 4 workers: the page merges them."""
    cut = next(i for i, e in enumerate(EVENTS) if e.type == "coverage.expired")  # some covered, some waiting
    for event in EVENTS[:cut]:
        served.view.apply(event)
    raw = CityView(min_cell=1)
    for event in EVENTS[:cut]:
        raw.apply(event)
    rows = raw.snapshot("74.71").districts
    small = [r for r in rows if 0 < (r.covered or 0) < 5 or 0 < (r.waiting or 0) < 5]
    assert small  # the page has something to hide

    page = await browser.new_page()
    await page.goto(str(served.client.make_url("/")))
    await page.wait_for_selector("#bars-district .row.merged")
    cells = await page.locator(".bars .row-value b, .bars .row-value span").all_text_contents()
    numbers = [int(c.replace(".", "")) for c in cells if c != "·"]
    feed = await page.text_content("#recent") or ""

    assert "·" in cells and all(n == 0 or n >= 5 for n in numbers), cells
    assert "Kelompok kecil digabung" in (await page.text_content("#bars-district") or "")
    assert "5 orang" in (await page.text_content("#bars-occupation") or "")  # the rule, said on the page
    assert "w_" not in feed and "Kec." not in feed  # no pseudonym; no district of fewer than five covered
    await page.close()


async def test_the_fairness_panel_in_a_browser_shows_every_dimension_and_no_small_group(
    served: Served, browser: Browser
) -> None:
    """200 workers through the real engine, 100 seated: some trades and deciles have fewer than five."""
    for event in city(200, (60, 40)):
        served.view.apply(event)

    page = await browser.new_page()
    await page.goto(str(served.client.make_url("/?lang=en")))
    await page.wait_for_selector('#fairness [data-dimension="disability"] tbody tr')
    dimensions = await page.locator("#fairness [data-dimension]").evaluate_all(
        "tables => tables.map(t => t.dataset.dimension)")
    sex = await page.locator('#fairness [data-dimension="sex"] tbody tr').evaluate_all(
        "rows => rows.map(r => [r.dataset.group, ...[...r.cells].slice(1, 3).map(c => c.textContent)])")
    counts = await page.locator("#fairness td.count").all_text_contents()
    groups = await page.locator('#fairness [data-dimension="occupation"] tbody tr').evaluate_all(
        "rows => rows.map(r => r.dataset.group)")
    snapshot = served.view.snapshot("74.71")
    tables = {t.dimension: t for t in snapshot.fairness}

    assert dimensions == ["district", "occupation", "sex", "decile", "disability"]
    assert sum(int(e.replace(",", "")) for _, e, _ in sex) == tables["sex"].eligible == 200
    assert sum(int(c.replace(",", "")) for _, _, c in sex) == snapshot.totals.covered == 100
    assert all(int(c.replace(",", "")) == 0 or int(c.replace(",", "")) >= 5 for c in counts), counts
    assert groups[-1] == "_merged" and len(groups) == len(tables["occupation"].rows)
    occupations = await page.text_content('#fairness [data-dimension="occupation"]') or ""
    assert "Small groups combined" in occupations
    assert "coverage ratio of 1" in (await page.text_content(".fairness-card") or "")
    await page.close()


async def _next_event(response: ClientResponse) -> dict[str, Any]:
    """Read lines until one ``data:`` line; heartbeats and ``retry:`` are skipped."""
    while True:
        line = await asyncio.wait_for(response.content.readline(), 5)
        if line.startswith(b"data: "):
            result: dict[str, Any] = loads(line[6:])
            return result
