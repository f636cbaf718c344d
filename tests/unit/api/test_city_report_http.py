"""``GET /v1/regions/{region}/report`` over HTTP, in-process: the officer's JSON, CSV and PDF (rendered by
poppler's ``pdftoppm``, read back with ``pdftotext``) say the same figures, which are the events'; sponsors
may not read it; unknown regencies and malformed months are refused. The folds are fed a matcher's story
directly (the feed carrying the events to them is the API's, covered by the API's integration tests)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.keys import KeyFile, Role, issue
from api.report_views import FAIRNESS_COLUMNS, FIGURE_COLUMNS, MONEY_COLUMNS
from infra.settings import Settings
from models.events import ApplicationRejected, Event, FundingMovement, InputEvent, LifeEventKind
from models.events.funding import FundingKind
from models.fairness import DIMENSIONS
from tests.system_tools import pdf_text
from tests.unit.api.test_city_report import story
from tests.unit.api.test_webhooks_http import NOW, Desk
from tests.unit.factories import T0, application, pledge

PATH = "/v1/regions/74.71/report"


@dataclass
class Report:
    desk: Desk
    events: list[Event]


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Report]:
    """The in-process API, its report fold and desk fed one story: 16 eligible applications and 2 too
    young, two sponsors' pledges (13 seats), 7 seats confirmed, a death, closes January to July."""
    file = KeyFile(tmp_path / "keys.json")
    keys = {}
    for name, role, subject in (
        ("officer", Role.OFFICER, "kendari-desk-1"), ("sponsor", Role.SPONSOR, "dealer-kendari"),
    ):
        key, record = issue(role, subject, NOW)
        file.add(record)
        keys[name] = key
    app = create_app(Settings(kafka_bootstrap="127.0.0.1:1", api_keys_file=str(file.path), namespace="t",
                              api_rate_burst=1000), now=lambda: NOW)
    log: list[InputEvent] = [pledge(event_id="evt-pl-a", pledge_id="pl-a"),
                             pledge(event_id="evt-pl-1", pledge_id="pl-1", amount_idr=3 * 16_800 * 12)]
    log += [application(event_id=f"evt-app-{i}", application_id=f"app-{i}", serial=i + 1,
                        event_time=T0 + timedelta(days=2, minutes=i)) for i in range(16)]
    log += [application(event_id=f"evt-young-{i}", application_id=f"young-{i}", serial=100 + i,
                        birth_date=date(2015, 1, 1), event_time=T0 + timedelta(days=3)) for i in range(2)]
    events, _ = story(log, 7, [(0, LifeEventKind.DECEASED)], 5_000)
    for e in events:
        app.state.reports.apply(e)
        app.state.services.desk.apply(e)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        yield Report(Desk(client, keys, []), events)


def _billed(events: list[Event], month: str) -> int:
    return sum(e.amount_idr for e in events if isinstance(e, FundingMovement)
               and e.kind is FundingKind.BILLED and e.period == month)


async def test_an_officer_reads_a_closed_month_as_json_and_csv(api: Report) -> None:
    r = await api.desk.call("GET", PATH, "officer", params={"month": "2025-02"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["region"], body["region_name"], body["month"], body["closed"]) == (
        "74.71", "Kota Kendari", "2025-02", True)
    january = (await api.desk.call("GET", PATH, "officer", params={"month": "2025-01"})).json()["figures"]
    assert (january["applications_received"], january["eligible"]) == (18, 16)
    young = sum(isinstance(e, ApplicationRejected) for e in api.events)
    assert january["rejected"] == {"cells": {}, "other": 2, "merged": ["age_below_minimum"], "total": young,
                                   "threshold": 5}
    assert january["waiting_at_end"] == 16 - 13
    f = body["figures"]
    assert f["claims"] == {"cells": {"accident_claim": 0}, "other": 1, "merged": ["deceased"], "total": 1,
                           "threshold": 5}  # one death: shown as a total, never as a cell
    assert f["withdrawals"] == 1
    assert body["money"]["billed_idr"] == _billed(api.events, "2025-02") > 0
    assert [s["sponsor_id"] for s in body["sponsors"]] == ["bank-sultra", "dealer-kendari"]
    assert sum(s["billed_idr"] for s in body["sponsors"]) == body["money"]["billed_idr"]
    assert [t["dimension"] for t in body["fairness"]] == list(DIMENSIONS)

    r = await api.desk.call("GET", PATH, "officer", params={"month": "2025-02", "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="city-report-74.71-2025-02.csv"' in r.headers["content-disposition"]
    figures, fairness, money = (list(csv.DictReader(io.StringIO(s))) for s in r.text.split("\r\n\r\n"))
    assert tuple(figures[0]) == FIGURE_COLUMNS and tuple(fairness[0]) == FAIRNESS_COLUMNS
    assert tuple(money[0]) == MONEY_COLUMNS
    by_figure = {(row["figure"], row["group"]): int(row["count"]) for row in figures}
    assert all(row["closed"] == "true" and row["month"] == "2025-02" for row in figures)
    for name in ("applications_received", "eligible", "waiting_at_end", "covered_at_end", "withdrawals"):
        assert by_figure[(name, "")] == f[name]
    assert by_figure[("claims", "total")] == by_figure[("claims", "other")] == 1
    assert ("claims", "deceased") not in by_figure
    totals = {row["dimension"]: (int(row["eligible"]), int(row["covered"])) for row in fairness
              if row["group"] == "total"}
    assert totals == {t["dimension"]: (t["eligible"], t["covered"]) for t in body["fairness"]}
    assert [row["sponsor_id"] for row in money] == ["bank-sultra", "dealer-kendari", "total"]
    assert int(money[-1]["billed_idr"]) == body["money"]["billed_idr"]
    assert int(money[-1]["payer_refunded_idr"]) == body["payer_refunded_idr"]


async def test_a_month_not_closed_says_so_and_sponsors_unknown_regions_and_bad_months_are_refused(
    api: Report
) -> None:
    r = await api.desk.call("GET", PATH, "officer", params={"month": "2025-08"})
    assert r.status_code == 200 and r.json()["closed"] is False
    june = (await api.desk.call("GET", PATH, "officer", params={"month": "2025-06"})).json()
    assert june["closed"] is True  # the June close's events (lapses, cancellations) named it
    assert r.json()["figures"]["waiting_at_end"] == june["figures"]["waiting_at_end"] == 5  # levels carry on
    assert r.json()["figures"]["applications_received"] == 0
    r = await api.desk.call("GET", PATH, "sponsor", params={"month": "2025-02"})
    assert r.status_code == 403 and r.json()["code"] == "wrong_role"
    r = await api.desk.call("GET", "/v1/regions/99.99/report", "officer", params={"month": "2025-02"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    for month in ("2025-13", "2025-2", "feb"):
        r = await api.desk.call("GET", PATH, "officer", params={"month": month})
        assert r.status_code == 422 and r.json()["code"] == "invalid_body"
    r = await api.desk.call("GET", PATH, "officer")
    assert r.status_code == 422 and r.json()["code"] == "invalid_body"
    r = await api.desk.client.get(PATH, params={"month": "2025-02"})
    assert r.status_code == 401


def _says(text: str, label: str, value: Any) -> bool:
    return re.search(re.escape(label) + r"\s+" + re.escape(str(value)) + r"(\s|$)", text) is not None


async def test_the_pdf_says_the_jsons_figures_in_indonesian_or_english_dated_by_the_month(
    api: Report, tmp_path: Path
) -> None:
    query = {"month": "2025-02"}
    body = (await api.desk.call("GET", PATH, "officer", params=query)).json()
    f, money = body["figures"], body["money"]
    r = await api.desk.call("GET", PATH, "officer", params={**query, "format": "pdf"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content, tmp_path / "id")
    assert "Laporan Bulanan Kota" in text and "74.71 (Kota Kendari)" in text and "2025-02" in text
    assert "bulan sudah ditutup" in text and "Monthly City Report" not in text
    for label, name in (
        ("Permohonan diterima", "applications_received"), ("Memenuhi syarat", "eligible"),
        ("Terlindungi di akhir bulan", "covered_at_end"), ("Keluar dari program", "withdrawals"),
    ):
        assert _says(text, label, f[name]), label
    assert _says(text, "Ditagihkan", f"Rp {money['billed_idr']:,}".replace(",", "."))
    assert money["billed_idr"] > 0 and money["remaining_idr"] > 0
    assert _says(text, "Sisa dana", f"Rp {money['remaining_idr']:,}".replace(",", "."))
    assert "Sponsor bank-sultra" in text and "Sponsor dealer-kendari" in text
    assert "D:20250228" in r.content.decode("latin-1")  # dated at the month's last day, not the wall clock

    r = await api.desk.call("GET", PATH, "officer", params={**query, "format": "pdf", "lang": "en"})
    text = pdf_text(r.content, tmp_path / "en")
    assert "Monthly City Report" in text and "month closed" in text
    assert _says(text, "Applications received", f["applications_received"])
    assert _says(text, "Billed", f"Rp {money['billed_idr']:,}")
    assert _says(text, "Remaining", f"Rp {money['remaining_idr']:,}")
    again = await api.desk.call("GET", PATH, "officer", params={**query, "format": "pdf", "lang": "en"})
    assert again.content == r.content  # no wall clock in it

    august = {"month": "2025-08", "format": "pdf", "lang": "en"}
    r = await api.desk.call("GET", PATH, "officer", params=august)
    assert "month not closed yet (figures so far)" in pdf_text(r.content, tmp_path / "open")
