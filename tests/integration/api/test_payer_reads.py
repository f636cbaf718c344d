"""What a payer reads, through a real ``jaring api`` process, a real broker and a real worker.

The registration list is the one answer holding NIK and name: the test
downloads it (CSV and JSON) with a payer key, finds the NIKs in it, and then
reads the access log topic and the API's own log (at debug level) to prove
each download was recorded and that no NIK or name reached either. Then BPJS
confirms the seats and January closes: the bill read over HTTP (CSV) is the
``bill.line`` events on the billing topic. An overpayment, produced straight
onto ``payments.v1``, shows up as a refund owed. Last, the city's report for
the closed January, read by an officer, is the events on the output topics.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from api.city_report import CityReports
from api.keys import KeyFile, Role, issue
from api.payer_views import BILL_CSV_COLUMNS
from api.registration_list import CSV_COLUMNS
from api.report_views import to_out
from infra.settings import Settings
from infra.topic_io import read_until
from jaring.demo import feed
from jaring.processes import ServiceProcess
from models.codec import decode
from models.events import AccessRecorded, BillLine, CoverageCommitted, FundingMovement, MonthTick, Targeting
from models.events.funding import FundingKind
from models.nik import Sex
from models.topics import ACCESS_LOG, APPLICATION_STATUS, BILLING, COVERAGE, FUNDING
from tests.conftest import WorkerFactory
from tests.integration.api.conftest import RECEIVED, ApiProcessFactory, Keys, auth, base_url
from tests.unit.factories import application, confirmed, payment, pledge

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

REGION = "74.71"
PAYER, SPONSOR = "payer-desk-1", "dealer-kendari"
PREMIUM = 16_800


async def topic_events(settings: Settings, topic: str, done: Callable[[list[Any]], bool]) -> list[Any]:
    seen: list[Any] = []
    await read_until(settings.kafka_bootstrap, [settings.topic(topic)], lambda _: done(seen), 120.0,
                     lambda record: seen.append(decode(record.value)))
    return seen


async def topic_bytes(settings: Settings, topic: str, n: int) -> list[bytes]:
    raw: list[bytes] = []
    await read_until(settings.kafka_bootstrap, [settings.topic(topic)], lambda _: len(raw) >= n, 120.0,
                     lambda record: raw.append(record.value or b""))
    return raw


async def until(
    answer: Callable[[], httpx.Response], holds: Callable[[Any], bool], timeout: float = 120.0
) -> Any:
    """Ask again until the answer's JSON satisfies ``holds`` (the API's read model catching up)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        got = answer()
        if got.status_code == 200 and holds(got.json()):
            return got.json()
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"never held; last answer {got.status_code}: {got.text[:500]}")
        await asyncio.sleep(0.2)


def tick(period: str) -> MonthTick:
    year, month = int(period[:4]), int(period[5:])
    after = datetime(year + month // 12, month % 12 + 1, 1, 0, 5, tzinfo=UTC)
    return MonthTick(event_id=f"tick-{REGION}-{period}", event_time=after, region=REGION, period=period)


async def test_a_payer_downloads_its_registrations_bills_and_refunds_and_every_download_is_recorded(
    settings: Settings, keys: Keys, worker_factory: WorkerFactory, api_process_factory: ApiProcessFactory
) -> None:
    payer_key, payer_record = issue(Role.PAYER, PAYER, RECEIVED)
    KeyFile(keys.file).add(payer_record)
    worker_factory()
    service: ServiceProcess = api_process_factory(JARING_LOG_LEVEL="debug")
    apps = [application(event_time=RECEIVED, submitted_at=RECEIVED, birth_date=date(1980 + n, 3, 1), serial=n,
                        name=f"La Ode Contoh {n}") for n in range(1, 4)]
    await feed(settings, apps)
    await feed(settings, [pledge(
        pledge_id="pl-desk", sponsor_id=SPONSOR, payer_id=PAYER, amount_idr=3 * PREMIUM * 12, max_workers=3,
        targeting=Targeting(sexes=(Sex.MALE,)), event_time=RECEIVED, valid_from=date(2026, 1, 5),
        valid_until=date(2026, 12, 31),
    )])
    seats = [e for e in await topic_events(
        settings, COVERAGE.name, lambda s: sum(isinstance(e, CoverageCommitted) for e in s) >= 3)
        if isinstance(e, CoverageCommitted)]
    with httpx.Client(base_url=base_url(service), timeout=60.0) as http:
        payer = auth(payer_key)
        await until(lambda: http.get("/v1/pledges/pl-desk", headers=auth(keys.sponsor_a)),
                    lambda p: p["seats_committed"] == 3)

        # ---- the registration list, as CSV then JSON: NIK and name, for this payer's pending seats
        listed = http.get("/v1/payers/me/registrations?format=csv", headers=payer)
        assert listed.status_code == 200, listed.text
        assert listed.headers["cache-control"] == "no-store"
        rows = list(csv.DictReader(io.StringIO(listed.text)))
        assert tuple(rows[0]) == CSV_COLUMNS
        by_nik = {a.nik: a for a in apps}
        assert {r["nik"] for r in rows} == set(by_nik)
        assert {r["coverage_id"] for r in rows} == {s.coverage_id for s in seats}
        for r in rows:
            a = by_nik[r["nik"]]
            assert (r["name"], r["birth_date"], r["sex"], r["district"], r["occupation"], r["pledge_id"],
                    r["registration_due_period"]) == (a.name, a.birth_date.isoformat(), "M", a.district,
                                                      a.occupation.value, "pl-desk", "2026-02")
        as_json = http.get("/v1/payers/me/registrations", headers=payer).json()
        assert as_json["pending"] == 3
        assert {r["nik"] for r in as_json["registrations"]} == set(by_nik)
        officer = http.get(f"/v1/payers/{PAYER}/registrations", headers=auth(keys.officer, None) | {
            "Accept": "text/csv"})
        assert officer.text == listed.text

        # ---- each download is on the access log, with who and how many, and no personal data
        raw = await topic_bytes(settings, ACCESS_LOG.name, 3)
        records = [e for e in map(decode, raw) if isinstance(e, AccessRecorded)]
        assert len(records) == len(raw)
        assert sorted((e.role, e.subject, e.payer_id, e.format, e.rows, e.resource) for e in records) == [
            ("officer", "kendari-desk-1", PAYER, "csv", 3, "registrations"),
            ("payer", PAYER, PAYER, "csv", 3, "registrations"),
            ("payer", PAYER, PAYER, "json", 3, "registrations"),
        ]
        assert {e.key_id for e in records if e.role == "payer"} == {payer_record.key_id}
        log_text = service.log_path.read_text(errors="replace")
        assert log_text.count("registration list for payer") == 3
        for a in apps:
            for where in (*raw, log_text.encode()):
                assert a.nik.encode() not in where and a.name.encode() not in where
        assert not any(s.worker.encode() in r for s in seats for r in raw)  # not even a pseudonym

        # ---- BPJS confirms, January closes: the bill read over HTTP is the bill.line events
        await feed(settings, [confirmed(s.coverage_id, payer_id=s.payer_id, event_time=RECEIVED,
                                        start_date=date(2026, 1, 6), event_id=f"confirm-{s.coverage_id}")
                              for s in seats])
        await until(lambda: http.get("/v1/pledges/pl-desk", headers=auth(keys.sponsor_a)),
                    lambda p: p["seats_active"] == 3)
        await feed(settings, [tick("2026-01")])
        bills = await until(lambda: http.get("/v1/payers/me/bills", headers=payer),
                            lambda b: len(b["bills"]) == 1)
        [bill] = bills["bills"]
        assert (bill["period"], bill["lines"], bill["total_idr"], bill["outstanding_idr"], bill["state"]) == (
            "2026-01", 3, 3 * PREMIUM, 3 * PREMIUM, "due")
        lines = [e for e in await topic_events(
            settings, BILLING.name, lambda s: sum(isinstance(e, BillLine) for e in s) >= 3)
            if isinstance(e, BillLine)]
        sheet = http.get(f"/v1/payers/me/bills/{bill['bill_id']}", headers=payer | {"Accept": "text/csv"})
        got = list(csv.DictReader(io.StringIO(sheet.text)))
        assert tuple(got[0]) == BILL_CSV_COLUMNS
        assert [(int(r["line_no"]), r["coverage_id"], r["worker"], r["membership_number"],
                 int(r["amount_idr"]), r["state"]) for r in got] == [
            (e.line_no, e.coverage_id, e.worker, e.membership_number, e.amount_idr, "due")
            for e in sorted(lines, key=lambda e: e.line_no)
        ]
        assert not any(a.nik in sheet.text or a.name in sheet.text for a in apps)
        theirs = http.get(f"/v1/payers/me/bills/bill:{REGION}:{SPONSOR}:2026-01", headers=payer)
        assert (theirs.status_code, theirs.json()["code"]) == (404, "not_found")

        # ---- an overpayment, produced straight onto payments.v1: a refund owed to the payer
        await feed(settings, [payment(bill["bill_id"], 3 * PREMIUM + 5_000, payer_id=PAYER, region=REGION,
                                      event_id="pay-over", payment_id="TX-OVER-1", paid_on=date(2026, 2, 9),
                                      event_time=datetime(2026, 2, 9, 3, tzinfo=UTC))])
        refunds = await until(lambda: http.get("/v1/payers/me/refunds", headers=payer),
                              lambda r: len(r["refunds"]) == 1)
        [refund] = refunds["refunds"]
        assert (refund["cause"], refund["amount_idr"], refund["payment_id"], refund["state"]) == (
            "overpayment", 5_000, "TX-OVER-1", "owed")
        assert refunds["accounts"] == [{
            "region": REGION, "received_idr": 3 * PREMIUM + 5_000, "applied_idr": 3 * PREMIUM,
            "refunds_owed_idr": 5_000, "refunded_idr": 0,
        }]
        paid = await until(lambda: http.get("/v1/payers/me/bills", headers=payer),
                           lambda b: b["bills"][0]["state"] == "paid")
        assert paid["bills"][0]["paid_idr"] == 3 * PREMIUM

        # ---- the city report for the closed January, read by an officer: the events on the topics
        outputs = [settings.topic(t.name) for t in (APPLICATION_STATUS, COVERAGE, FUNDING)]
        records = await read_until(settings.kafka_bootstrap, outputs, lambda _: True, 120.0)
        events = [decode(r.value) for r in records]
        billed = sum(e.amount_idr for e in events if isinstance(e, FundingMovement)
                     and e.kind is FundingKind.BILLED and e.period == "2026-01")
        report = await until(
            lambda: http.get(f"/v1/regions/{REGION}/report", params={"month": "2026-01"},
                             headers=auth(keys.officer, None)),
            lambda r: r["closed"] and r["money"]["billed_idr"] == billed)
        local = CityReports()
        for e in events:
            local.apply(e)
        assert report == json.loads(to_out(local.report(REGION, "2026-01"), closed=True).model_dump_json())
        f = report["figures"]
        people = ("applications_received", "eligible", "newly_covered", "covered_at_end")
        assert [f[name] for name in people] == [3, 3, 3, 3]
        assert (billed, report["money"]["pledged_idr"]) == (3 * PREMIUM, 3 * PREMIUM * 12)
        assert [s["sponsor_id"] for s in report["sponsors"]] == [SPONSOR]
        sheet = http.get(f"/v1/regions/{REGION}/report", params={"month": "2026-01", "format": "csv"},
                         headers=auth(keys.officer, None))
        assert sheet.status_code == 200 and f"total,{3 * PREMIUM * 12}," in sheet.text
