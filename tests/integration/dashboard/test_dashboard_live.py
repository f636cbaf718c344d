"""The dashboard on the real pipeline: broker, ``jaring worker``, ``jaring dashboard``, headless Chromium.

Kendari's 1,500 workers apply (three apply twice), three sponsors pledge 1,350
seats, BPJS confirms the registrations and six months close while the payers
pay as the demo's do (``jaring.demo.DEMO_HABITS``): payer 0 on time, payer 1
two months late, payer 2 never (its 250 terms lapse at the close of May). A
payer also pays a bill that does not exist, and half of that refund is
settled. The page, opened before the first event, must reach those totals and
money by state by itself, without a reload. The screenshot it leaves is the
one the README shows (``docs/dashboard.png``), with its fairness panel (``docs/fairness.png``);
no count of people on the page is under ``JARING_MIN_CELL`` (5).

A fuzzer's pledge and applications for region ``00.00`` go in first: the
engine rejects them on the output topics, and the page must neither list
nor open on that region (it once read "Region 00.00: 0 covered, 60
rejected"). Districts show by name, in both languages.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from playwright.async_api import Browser, Page

from dashboard.consumer import TOPICS
from infra.settings import Settings
from jaring.bpjs import Simulator
from jaring.demo import DEMO_HABITS, Answered, answer, close_months, engine_caught_up, feed, outputs_until
from jaring.scenario import applications, month_ticks, pledges
from models.events import CoverageCommitted, PaymentReported, RefundSettled
from models.matcher import RegionMatcher
from models.occupations import Occupation
from models.topics import route
from tests.conftest import DashboardFactory, WorkerFactory

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ROOT = Path(__file__).parents[3]
SCREENSHOT = ROOT / "docs" / "dashboard.png"
SCREENSHOT_PHONE = ROOT / "docs" / "dashboard-phone.png"
SCREENSHOT_FAIRNESS = ROOT / "docs" / "fairness.png"
SEATS = [600, 500, 250]
KENDARI_NAMES = ("Mandonga", "Kendari", "Baruga", "Poasia", "Kendari Barat", "Abeli", "Wua-Wua", "Kadia",
                 "Puuwatu", "Kambu", "Nambo")
MONTHS_CLOSED = 6
PREMIUM = 16_800
STRAY = 16_800
"""A transfer by payer 0 to a bill id that does not exist: all of it is owed back."""
SETTLED = 8_400
MIN_CELL = 5
"""``JARING_MIN_CELL``'s default: the dashboard process runs with it."""


def _rupiah_id(amount: int) -> str:
    """Rupiah as the Indonesian page writes it: Rp 136.080.000."""
    return "Rp " + f"{amount:,}".replace(",", ".")


async def _stat(page: Page, key: str, value: int, timeout_s: float = 60) -> None:
    """Wait until the page's own counter shows ``value`` (it is pushed, never polled)."""
    await page.wait_for_function(
        "([key, value]) => document.querySelector(`[data-stat=\"${key}\"]`)?.textContent === value",
        arg=[key, f"{value:,}".replace(",", ".")],
        timeout=timeout_s * 1000,
    )


async def _money(page: Page, field: str, amount: int, timeout_s: float = 60) -> None:
    """Wait until the money-by-state panel shows ``amount`` for ``field`` (Indonesian digits)."""
    await page.wait_for_function(
        "([field, text]) => document.querySelector(`[data-money=\"${field}\"]`)?.textContent === text",
        arg=[field, _rupiah_id(amount)],
        timeout=timeout_s * 1000,
    )


async def _no_count_under(page: Page, min_cell: int) -> None:
    """Every count of people the page shows in its tables is 0, merged ("·") or at least ``min_cell``."""
    counts = page.locator(".bars .row-value b, .bars .row-value span, #fairness td.count")
    cells = await counts.all_text_contents()
    assert cells, "no counts on the page"
    numbers = [int(c.replace(".", "")) for c in cells if c != "·"]
    assert all(n == 0 or n >= min_cell for n in numbers), sorted(numbers)


def _bills(settings: Settings, events: list[Any]) -> dict[str, dict[int, int]]:
    """Each payer's bill total for months 1..6 of 2026, from the seats the pure core commits (the
    workers emit exactly its outputs): a line is Rp 16,800, halved for an ojek driver from January and
    for everyone from April (PP 50/2025)."""
    core = RegionMatcher("74.71", settings.pseudonym_key.get_secret_value().encode())
    seats = [o for e in events for o in core.handle(e).outputs if isinstance(o, CoverageCommitted)]
    return {payer: {m: sum(PREMIUM // 2 if s.occupation is Occupation.OJEK_DRIVER or m >= 4 else PREMIUM
                           for s in seats if s.payer_id == payer) for m in range(1, 7)}
            for payer in ("payer-0", "payer-1", "payer-2")}


def _stray_payment_and_its_refund(ticks: list[Any]) -> list[Any]:
    """Payer 0 pays Rp 16,800 to a bill it never had, in June; half of the refund is settled."""
    at = ticks[-2].event_time + timedelta(days=3)
    payment = PaymentReported(
        event_id="live-stray-payment", event_time=at, payment_id="TX-LIVE-STRAY", payer_id="payer-0",
        region="74.71", bill_id="bill:74.71:payer-0:2025-12", amount_idr=STRAY, paid_on=at.date(),
        source="topic",
    )
    later = at + timedelta(days=1)
    settled = RefundSettled(
        event_id="live-stray-refund", event_time=later, region="74.71",
        refund_id="refund:74.71:payer-0:TX-LIVE-STRAY", amount_idr=SETTLED, settled_on=later.date(),
    )
    return [payment, settled]


async def test_the_page_reaches_the_scenario_totals_live_without_reload(
    settings: Settings, worker_factory: WorkerFactory, dashboard_factory: DashboardFactory, browser: Browser
) -> None:
    worker_factory()
    dashboard = dashboard_factory()
    apps = applications(1_500)
    again = [  # three people apply twice: one worker each, the second application refused
        a.model_copy(update={"event_id": f"{a.event_id}-2", "application_id": f"{a.application_id}-2"})
        for a in apps[:3]
    ]
    sponsors = pledges(SEATS, start=apps[-1].event_time + timedelta(hours=1))
    ticks = month_ticks("2026-01", MONTHS_CLOSED)
    fuzz = [
        *pledges([2], start=apps[0].event_time, region="00.00", id_prefix="fuzz"),
        *(a.model_copy(update={"event_id": f"fuzz-{a.event_id}", "application_id": f"fuzz-{a.application_id}",
                               "regency": "00.00", "district": "00.00.01"}) for a in apps[:5]),
    ]
    base = dashboard.ready_url.removesuffix("healthz")
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(base)
    await _stat(page, "covered", 0)
    await page.evaluate("window.__sameDocument = true")

    await feed(settings, fuzz)
    await _health_until(dashboard.ready_url, lambda h: h["other_region_records"] >= len(fuzz))
    await feed(settings, [*apps, *again])
    await _stat(page, "waiting", 1_500)
    await _stat(page, "rejected", 3)  # Kendari's three repeats; the fuzzer's five are 00.00's, never shown
    assert (await page.text_content("#where") or "").startswith("Wilayah Kota Kendari (74.71)")
    assert await page.locator("#regions a").count() == 0  # one region served: nothing to choose
    async with ClientSession() as session:
        snapshot = await (await session.get(base + "v1/snapshot")).json()
        assert (snapshot["region"], snapshot["regions"]) == ("74.71", ["74.71"])
        for bad in ("74.71%0A", "00.00"):
            refused = await session.get(base + "v1/snapshot?region=" + bad)
            assert refused.status in (400, 404)
            assert (await refused.json())["type"] in ("region_invalid", "region_not_served")
    simulator, answered = Simulator(DEMO_HABITS), Answered()
    await feed(settings, sponsors)
    await _stat(page, "registering", sum(SEATS))  # seats committed; BPJS has not answered yet
    await _stat(page, "waiting", 1_500 - sum(SEATS))
    await answer(settings, simulator, answered)  # BPJS confirms every registration
    await _stat(page, "covered", sum(SEATS))
    await _stat(page, "registering", 0)
    await close_months(settings, simulator, answered, ticks[:-1])
    await feed(settings, _stray_payment_and_its_refund(ticks))
    await close_months(settings, simulator, answered, ticks[-1:])
    # By the close of June: payer 0 (600 seats) paid January to May, June is due; payer 1 (500) paid
    # January to March in April to June, April and May are in arrears, June is due; payer 2 (250)
    # never paid: its terms lapsed at the close of May (January + 4), January to April written off.
    await _stat(page, "lapsed", SEATS[2])
    await _stat(page, "covered", SEATS[0] + SEATS[1])
    await _stat(page, "waiting", 1_500 - SEATS[0] - SEATS[1])  # the lapsed wait again: no seat is free
    # Each month is billed at the tariff in force (PP 50/2025): a payer's bill for month m is its
    # workers' lines (``bills``), ojek drivers at Rp 8,400 from January, everyone from April.
    bills = _bills(settings, [*apps, *again, *sponsors])
    arrears = bills["payer-1"][4] + bills["payer-1"][5]
    await _money(page, "paid_idr", sum(bills["payer-0"][m] for m in range(1, 6))
                 + sum(bills["payer-1"][m] for m in range(1, 4)))
    await _money(page, "due_idr", bills["payer-0"][6] + bills["payer-1"][6])
    await _money(page, "arrears_idr", arrears)
    await _money(page, "written_off_idr", sum(bills["payer-2"][m] for m in range(1, 5)))
    await _money(page, "refunds_owed_idr", STRAY)
    await _money(page, "refunded_idr", SETTLED)
    assert await page.text_content('[data-arrears="pledge-1"]') == _rupiah_id(arrears)
    assert await page.locator("#chart-states polyline").count() == 6  # one line per money state
    # the pledge table names each pledge's payer: whom the arrears alert's runbook says to call
    assert "payer-1" in (await page.text_content("#sponsors") or "")

    assert await page.evaluate("window.__sameDocument") is True  # no reload happened
    assert await page.text_content('[data-stat="ever_covered"]') == "1.350"
    assert await page.text_content('[data-stat="registering"]') == "0"
    districts = await page.locator("#bars-district .row").count()
    occupations = await page.locator("#bars-occupation .row").count()
    assert (districts, occupations) == (11, 9)  # Kendari's 11 districts; the scenario's 9 trades
    labels = await page.locator("#bars-district .row-label").all_text_contents()
    assert sorted(labels) == sorted(f"Kec. {name}" for name in KENDARI_NAMES)
    assert "74.71." not in (await page.text_content("#bars-district") or "")
    assert "Kec. " in (await page.text_content("#recent") or "")
    assert await page.locator("#sponsors tbody tr").count() == 3 + 3  # 3 sponsors, 3 pledges
    feed_text = await page.text_content("#recent") or ""
    assert "w_" not in feed_text  # no pseudonym: it would link one person's rows (models.disclosure)
    assert not any(a.nik in feed_text or a.name in feed_text for a in apps)
    await _no_count_under(page, MIN_CELL)
    # the fairness panel: every dimension, and its columns add up to the events' totals
    tables = await page.locator("#fairness [data-dimension]").evaluate_all("""tables => tables.map(t => [
        t.dataset.dimension,
        [...t.querySelectorAll("tbody tr")].map(r => [...r.cells].slice(1, 3).map(c => c.textContent))])""")
    assert [dimension for dimension, _ in tables] == ["district", "occupation", "sex", "decile", "disability"]
    for dimension, rows in tables:
        assert sum(int(e.replace(".", "")) for e, _ in rows) == 1_500, dimension  # all were eligible
        assert sum(int(c.replace(".", "")) for _, c in rows) == SEATS[0] + SEATS[1], dimension
    async with ClientSession() as session:  # the same figures as gauges, set at the scrape
        exposition = await (await session.get(base + "metrics")).text()
    gauges = [line for line in exposition.splitlines() if line.startswith("jaring_fairness_")]
    women = 'jaring_fairness_workers{dimension="sex",group="F",population="eligible",region="74.71"}'
    assert women in exposition
    assert len([g for g in gauges if g.startswith("jaring_fairness_coverage_ratio{")]) == sum(
        len(rows) for _, rows in tables)
    assert not any("w_" in g for g in gauges)
    await page.wait_for_timeout(600)  # let the last push settle before the picture
    SCREENSHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT), full_page=True)
    await page.locator(".fairness-card").screenshot(path=str(SCREENSHOT_FAIRNESS))
    phone = await browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    await phone.goto(dashboard.ready_url.removesuffix("healthz") + "?lang=en")
    await phone.wait_for_selector('[data-stat="covered"]')
    assert await phone.text_content('[data-stat="covered"]') == "1,100"  # English digits on request
    assert await phone.text_content('[data-money="arrears_idr"]') == f"Rp {arrears:,}"
    assert "In arrears" in (await phone.text_content("#money-states") or "")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows sideways
    english = await phone.locator("#bars-district .row-label").all_text_contents()
    assert sorted(english) == sorted(f"{name} district" for name in KENDARI_NAMES)
    await phone.screenshot(path=str(SCREENSHOT_PHONE))


async def test_a_restarted_dashboard_rebuilds_the_same_view_and_the_example_reads_the_same_coverage(
    settings: Settings, worker_factory: WorkerFactory, dashboard_factory: DashboardFactory
) -> None:
    first = dashboard_factory()  # before any worker: its topics do not exist yet
    worker_factory()
    apps = applications(40, seed=71)
    await feed(settings, apps)
    await outputs_until(settings, lambda r: r.accounted >= len(apps))
    await feed(settings, pledges([30], start=apps[-1].event_time + timedelta(hours=1), months=1))
    await outputs_until(settings, lambda r: r.result.counts["coverage.committed"] >= 30)
    simulator, answered = Simulator(), Answered()
    await answer(settings, simulator, answered)  # BPJS confirms the registrations
    await outputs_until(settings, lambda r: r.result.counts["coverage.activated"] >= 30)
    await feed(settings, month_ticks("2026-01", 1))  # only now: input topics have no order between them
    # The month close's outputs span topics; read once all are on the broker, not at the first seen.
    await engine_caught_up(settings)
    audit = await outputs_until(settings, lambda r: r.result.counts["coverage.expired"] >= 30)

    shown = [e for e in audit.events if route(e)[0] in TOPICS]  # the dashboard reads no bills
    before = await _snapshot(first.ready_url, events=len(shown))
    first.stop()
    after = await _snapshot(dashboard_factory().ready_url)

    assert before == after
    assert before["totals"] == {
        "covered": 0, "waiting": 40, "ever_covered": 30, "rejected": 0, "registering": 0, "lapsed": 0,
        "withdrawn": 0, "claims_jkm": 0, "claims_jkk": 0,
    }
    assert before["events"] == len(shown)

    coverage = audit.counts["coverage.activated"] + audit.counts["coverage.expired"]  # what it prints
    lines = await _example_lines(settings, coverage)
    assert sum(line.startswith("coverage.activated\t") for line in lines) == 30
    assert all(line.split("\t")[2].startswith("w_") for line in lines)


async def _health_until(
    ready_url: str, done: Callable[[dict[str, Any]], bool], timeout_s: float = 60
) -> dict[str, Any]:
    """``/healthz``'s body once ``done`` holds for it."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with ClientSession() as session:
        while True:
            body: dict[str, Any] = await (await session.get(ready_url)).json()
            if done(body):
                return body
            assert asyncio.get_running_loop().time() < deadline, body
            await asyncio.sleep(0.2)


async def _snapshot(ready_url: str, events: int | None = None, timeout_s: float = 30) -> dict[str, object]:
    """The view of 74.71; with ``events``, once the dashboard has folded that many."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with ClientSession() as session:
        while True:
            response = await session.get(ready_url.removesuffix("healthz") + "v1/snapshot?region=74.71")
            body: dict[str, object] = await response.json()
            if events is None or body["events"] == events:
                return body
            assert asyncio.get_running_loop().time() < deadline, f"{body['events']} of {events} events"
            await asyncio.sleep(0.2)


async def _example_lines(settings: Settings, expected: int) -> list[str]:
    """Run ``examples/consume_coverage.py`` until it has printed ``expected`` lines."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "examples" / "consume_coverage.py"), settings.namespace,
        env={"JARING_KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        while len(lines) < expected:
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            if not line:
                break
            lines.append(line.decode().rstrip("\n"))
    finally:
        process.terminate()
        await process.wait()
    return lines
