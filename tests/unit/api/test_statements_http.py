"""``GET /v1/sponsors/me/statement`` over HTTP, in-process: the sponsor's own figures as JSON and CSV,
nobody else's, and the refusals. The fold is fed a matcher's story directly (the feed that carries
the events to it is the pledge books', covered by the API's integration tests)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.keys import KeyFile, Role, issue
from api.statements import StatementBooks
from infra.settings import Settings
from models.events import Event, FundingMovement, InputEvent
from models.events.funding import FundingKind
from tests.unit.api.test_statements import _story
from tests.unit.api.test_webhooks_http import NOW, Desk
from tests.unit.factories import T0, application, pledge


@dataclass
class Statements:
    desk: Desk
    events: list[Event]


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Statements]:
    """The webhook tests' in-process API, its statement fold fed one pledge's story (7 workers)."""
    file = KeyFile(tmp_path / "keys.json")
    keys = {}
    for name, role, subject in (
        ("sponsor", Role.SPONSOR, "dealer-kendari"), ("other", Role.SPONSOR, "bank-sultra"),
        ("officer", Role.OFFICER, "kendari-desk-1"),
    ):
        key, record = issue(role, subject, NOW)
        file.add(record)
        keys[name] = key
    app = create_app(Settings(kafka_bootstrap="127.0.0.1:1", api_keys_file=str(file.path), namespace="t",
                              api_rate_burst=1000), now=lambda: NOW)
    log: list[InputEvent] = [pledge(event_id="evt-pl", pledge_id="pl-1")]
    log += [application(event_id=f"evt-app-{i}", application_id=f"app-{i}", serial=i + 1,
                        event_time=T0 + timedelta(days=2, minutes=i)) for i in range(7)]
    events = _story(log, 7)
    books: StatementBooks = app.state.statements
    for e in events:
        books.apply(e)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        yield Statements(Desk(client, keys, []), events)


async def test_a_sponsor_reads_its_statement_as_json_and_csv(api: Statements) -> None:
    desk, events = api.desk, api.events
    billed = sum(e.amount_idr for e in events if isinstance(e, FundingMovement)
                 and e.kind is FundingKind.BILLED and e.event_time.date().isoformat() <= "2025-02-28")
    assert billed > 0
    query = {"from": "2025-01-01", "to": "2025-02-28"}
    r = await desk.call("GET", "/v1/sponsors/me/statement", "sponsor", params=query)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["sponsor_id"] == "dealer-kendari" and [p["pledge_id"] for p in body["pledges"]] == ["pl-1"]
    assert body["total"]["billed_idr"] == body["pledges"][0]["billed_idr"] == billed
    assert body["total"]["pledged_idr"] == 10 * 16_800 * 12
    assert body["total"]["workers_covered"] == 7
    assert body["total"]["groups"]["sex"]["total"] == 7

    r = await desk.call("GET", "/v1/sponsors/me/statement", "sponsor", params={**query, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    money, groups = r.text.split("\r\n\r\n")
    rows = list(csv.DictReader(io.StringIO(money)))
    assert [row["pledge_id"] for row in rows] == ["pl-1", "total"]
    assert int(rows[1]["billed_idr"]) == billed and rows[1]["from_date"] == "2025-01-01"
    table = list(csv.DictReader(io.StringIO(groups)))
    sexes = [row for row in table if row["pledge_id"] == "total" and row["dimension"] == "sex"]
    assert sum(int(row["workers"]) for row in sexes) == 7


async def test_another_sponsor_sees_none_of_it_and_bad_ranges_are_refused(api: Statements) -> None:
    desk = api.desk
    path = "/v1/sponsors/me/statement"
    query = {"from": "2025-01-01", "to": "2025-12-31"}
    r = await desk.call("GET", "/v1/sponsors/me/statement", "other", params=query)
    assert r.status_code == 200
    assert r.json()["pledges"] == [] and r.json()["total"]["pledged_idr"] == 0
    r = await desk.call("GET", "/v1/sponsors/me/statement", "officer", params=query)
    assert r.status_code == 403 and r.json()["code"] == "wrong_role"
    r = await desk.call("GET", path, "sponsor", params={"from": "2025-02-01", "to": "2025-01-31"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_body"
    r = await desk.call("GET", path, "sponsor", params={"from": "2025-13-01", "to": "2025-12-31"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_body"
    r = await desk.client.get("/v1/sponsors/me/statement", params=query)
    assert r.status_code == 401
