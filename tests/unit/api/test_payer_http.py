"""The payer read routes in-process (no broker): JSON and CSV shapes, who may read what, 404s.

The read model is fed the matcher's story (``test_payer_model``) directly;
the registration list's scan of the applications topic is fed by a reader
that folds given records (the real scan is ``tests/integration/api/
test_payer_reads.py``'s, over a real broker).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from api.app import create_app
from api.keys import KeyFile, Role, issue
from api.payer_model import PendingRegistration
from api.payer_views import BILL_CSV_COLUMNS
from api.read_model import ReadModel
from api.registration_list import CSV_COLUMNS, scan_applications
from infra.settings import Settings
from models.events import BillLine, Event
from models.nik import pseudonym
from tests.unit.api.test_payer_model import EVENTS
from tests.unit.factories import REGION, application

NOW = datetime(2025, 12, 1, tzinfo=UTC)


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    keys = KeyFile(tmp_path / "keys.json")
    made = {}
    for name, role, subject in (
        ("payer-a", Role.PAYER, "payer-a"), ("payer-b", Role.PAYER, "payer-b"),
        ("officer", Role.OFFICER, "desk-1"), ("sponsor", Role.SPONSOR, "dealer-kendari"),
    ):
        key, record = issue(role, subject, NOW)
        keys.add(record)
        made[name] = key
    app = create_app(Settings(kafka_bootstrap="127.0.0.1:1", api_keys_file=str(keys.path)))
    for event in EVENTS:
        app.state.services.readmodel.apply(event)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        yield c, made


def bearer(key: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **headers}


def lines_on_topic(payer: str, bill_id: str) -> list[BillLine]:
    return sorted((e for e in EVENTS if isinstance(e, BillLine) and e.bill_id == bill_id
                   and e.payer_id == payer), key=lambda e: e.line_no)


async def test_a_payer_lists_its_bills_and_reads_one_as_json_with_the_lines_of_the_topic(client: Any) -> None:
    c, keys = client
    listed = (await c.get("/v1/payers/me/bills", headers=bearer(keys["payer-a"]))).json()
    assert listed["payer_id"] == "payer-a"
    bills = {b["period"]: b for b in listed["bills"]}
    assert [bills[p]["state"] for p in ("2025-01", "2025-05", "2025-06")] == ["paid", "paid", "written_off"]
    one = bills["2025-01"]
    answer = await c.get(f"/v1/payers/me/bills/{one['bill_id']}", headers=bearer(keys["payer-a"]))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert {k: v for k, v in body.items() if k != "line_items"} == one
    expected = lines_on_topic("payer-a", one["bill_id"])
    assert [(ln["line_no"], ln["coverage_id"], ln["worker"], ln["membership_number"], ln["amount_idr"])
            for ln in body["line_items"]] == [
        (e.line_no, e.coverage_id, e.worker, e.membership_number, e.amount_idr) for e in expected
    ]
    assert {ln["state"] for ln in body["line_items"]} == {"paid"}
    assert sum(ln["amount_idr"] for ln in body["line_items"]) == one["total_idr"] == one["paid_idr"]


async def test_a_bill_as_csv_has_the_documented_columns_by_accept_or_format(client: Any) -> None:
    c, keys = client
    bill_id = f"bill:{REGION}:payer-b:2025-01"
    url = f"/v1/payers/me/bills/{bill_id}"
    by_accept = await c.get(url, headers=bearer(keys["payer-b"], Accept="text/csv"))
    by_query = await c.get(f"/v1/payers/me/bills/{bill_id}?format=csv", headers=bearer(keys["payer-b"]))
    assert by_accept.text == by_query.text
    assert by_accept.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(by_accept.text)))
    assert tuple(rows[0]) == BILL_CSV_COLUMNS
    expected = lines_on_topic("payer-b", bill_id)
    assert [(r[0], int(r[1]), r[2], r[3], r[4], r[7], int(r[9]), r[10]) for r in rows[1:]] == [
        (bill_id, e.line_no, e.coverage_id, e.worker, e.membership_number, "2025-01", e.amount_idr,
         "written_off") for e in expected
    ]


async def test_another_payer_s_bill_answers_404_exactly_like_an_unknown_one(client: Any) -> None:
    c, keys = client
    mine = bearer(keys["payer-a"])
    theirs = await c.get(f"/v1/payers/me/bills/bill:{REGION}:payer-b:2025-01", headers=mine)
    unknown = await c.get(f"/v1/payers/me/bills/bill:{REGION}:payer-a:2031-01", headers=mine)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json()
    assert theirs.json()["code"] == "not_found"


async def test_officers_read_a_payer_they_name_and_payers_only_their_own(client: Any) -> None:
    c, keys = client
    mine = await c.get("/v1/payers/me/bills", headers=bearer(keys["payer-a"]))
    by_officer = await c.get("/v1/payers/payer-a/bills", headers=bearer(keys["officer"]))
    assert by_officer.json() == mine.json()
    refused = [
        await c.get("/v1/payers/payer-b/bills", headers=bearer(keys["payer-a"])),
        await c.get("/v1/payers/me/bills", headers=bearer(keys["officer"])),
        await c.get("/v1/payers/me/refunds", headers=bearer(keys["sponsor"])),
    ]
    assert [(r.status_code, r.json()["code"]) for r in refused] == [(403, "wrong_role")] * 3
    assert (await c.get("/v1/payers/me/bills")).status_code == 401


async def test_refunds_list_what_is_owed_and_settled_and_the_account(client: Any) -> None:
    c, keys = client
    body = (await c.get("/v1/payers/me/refunds", headers=bearer(keys["payer-a"]))).json()
    causes = {r["cause"] for r in body["refunds"]}
    assert causes >= {"overpayment", "short_remainder", "unknown_reference"}
    settled = [r for r in body["refunds"] if r["refunded_idr"]]
    assert [(r["amount_idr"], r["refunded_idr"], r["remaining_idr"], r["state"]) for r in settled] == [
        (5_000, 2_000, 3_000, "owed")
    ]
    [account] = body["accounts"]
    assert account["region"] == REGION
    assert account["refunds_owed_idr"] == sum(r["amount_idr"] for r in body["refunds"])
    assert account["refunded_idr"] == 2_000
    assert account["received_idr"] == account["applied_idr"] + account["refunds_owed_idr"]


async def test_the_sponsor_s_pledge_shows_seats_workers_and_money_by_state(client: Any) -> None:
    c, keys = client
    pledge = (await c.get("/v1/pledges/pl-a", headers=bearer(keys["sponsor"]))).json()
    assert pledge["billed_idr"] == (pledge["paid_idr"] + pledge["due_idr"] + pledge["arrears_idr"]
                                    + pledge["written_off_idr"])
    assert pledge["committed_idr"] == pledge["billed_idr"] + pledge["not_yet_billed_idr"]
    assert pledge["written_off_idr"] > 0 and pledge["paid_idr"] > 0
    refunds = await c.get("/v1/payers/payer-a/refunds", headers=bearer(keys["officer"]))
    [account] = refunds.json()["accounts"]
    assert (pledge["payer_refunds_owed_idr"], pledge["payer_refunded_idr"]) == (
        account["refunds_owed_idr"], account["refunded_idr"]
    )
    assert pledge["payer_refunded_idr"] == 2_000
    assert pledge["workers_cancelled"] == 2  # one rejected by BPJS, one not confirmed in time
    assert pledge["seats_active"] == pledge["workers_active"] == 0  # the terms ended
    lapsed = (await c.get("/v1/sponsors/me/pledges", headers=bearer(keys["sponsor"]))).json()
    assert lapsed["totals"]["written_off_idr"] == pledge["written_off_idr"]


async def test_a_download_that_cannot_be_recorded_hands_out_nothing(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No broker: the access record cannot be stored, so the list (NIK and name) is not sent."""
    c, keys = client
    app_ = application(serial=4242)

    async def found(*_: Any, **__: Any) -> list[Any]:
        from api.registration_list import RegistrationRow
        return [RegistrationRow("c-1", app_.nik, app_.name, app_.birth_date, "M", "74.71.01",
                                "street_vendor", "pl-a", "dealer-kendari", REGION, "2025-02")]

    monkeypatch.setattr("api.payer_views.scan_applications", found)
    answer = await c.get("/v1/payers/me/registrations?format=csv", headers=bearer(keys["payer-a"]))
    assert (answer.status_code, answer.json()["code"]) == (503, "kafka_unavailable")
    assert app_.nik not in answer.text and app_.name not in answer.text


# ------------------------------------------------------------ the scan of the applications topic


class FakeReader:
    """Folds the given events then says it is caught up, as ``ReplayReader`` does at the topic's end."""

    events: ClassVar[list[Event]] = []

    def __init__(self, _settings: Settings, _topics: list[str], fold: Any, **_: Any) -> None:
        import asyncio
        self.fold, self.caught_up = fold, asyncio.Event()

    async def run(self) -> None:
        import asyncio
        for event in self.events:
            self.fold("applications", event)
        self.caught_up.set()
        await asyncio.Event().wait()


def seat(worker: str, coverage_id: str, region: str = REGION) -> PendingRegistration:
    return PendingRegistration(coverage_id, worker, region, "pl-a", "dealer-kendari", "74.71.02",
                               "fisher", "JKK_JKM", 16_800, 6, "2025-01", "2025-02")


async def test_the_scan_keeps_only_pending_workers_latest_application_in_the_seat_s_region() -> None:
    settings = Settings()
    key = settings.pseudonym_key.get_secret_value().encode()
    first = application(serial=11, name="Wa Ode Lama")
    again = application(serial=11, name="Wa Ode Baru")  # the same NIK, corrected: the latest wins
    other = application(serial=12, name="La Ode Lain")  # not pending: never kept
    FakeReader.events = [first, other, again]
    pending = [seat(pseudonym(first.nik, key), "c-1"), seat(pseudonym(other.nik, key), "c-2", region="74.01")]
    rows = await scan_applications(settings, pending, 5.0, reader=FakeReader)
    assert [(r.coverage_id, r.nik, r.name, r.district, r.occupation) for r in rows] == [
        ("c-1", first.nik, "Wa Ode Baru", "74.71.02", "fisher")
    ]
    assert tuple(rows[0].csv_row()) == (
        "c-1", first.nik, "Wa Ode Baru", first.birth_date.isoformat(), "M", "74.71.02", "fisher", "pl-a",
        "2025-02",
    )
    assert len(CSV_COLUMNS) == len(rows[0].csv_row())


async def test_an_officer_naming_an_id_no_payer_can_have_gets_404(client: Any) -> None:
    c, keys = client
    for path in ("bills", "refunds", "registrations", f"bills/bill:{REGION}:x:2025-01"):
        answer = await c.get(f"/v1/payers/no:such/{path}", headers=bearer(keys["officer"]))
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found"), path


async def test_an_archived_bill_answers_410_and_stays_in_the_list(tmp_path: Path) -> None:
    """A read model keeping no closed month of settled bills' lines (the API keeps 12): January's bill,
    paid, is archived; its figures are still listed, its lines answer 410 ``bill_lines_archived``."""
    keys = KeyFile(tmp_path / "keys.json")
    key, record = issue(Role.PAYER, "payer-a", NOW)
    keys.add(record)
    app = create_app(Settings(kafka_bootstrap="127.0.0.1:1", api_keys_file=str(keys.path)))
    model = app.state.services.readmodel = ReadModel(keep_months=0)
    for event in EVENTS:
        model.apply(event)
    bill_id = f"bill:{REGION}:payer-a:2025-01"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        listed = (await c.get("/v1/payers/me/bills", headers=bearer(key))).json()
        gone = await c.get(f"/v1/payers/me/bills/{bill_id}", headers=bearer(key))
        as_csv = await c.get(f"/v1/payers/me/bills/{bill_id}?format=csv", headers=bearer(key))
    january = next(b for b in listed["bills"] if b["bill_id"] == bill_id)
    assert january["state"] == "paid" and january["paid_idr"] == january["total_idr"] > 0
    assert gone.status_code == as_csv.status_code == 410
    assert gone.json()["code"] == "bill_lines_archived"
    assert gone.headers["content-type"] == "application/problem+json"
