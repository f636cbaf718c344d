"""The payer's desk end to end: BPJS's answers, bills, payments, arrears, lapse and refunds.

A real broker, a real worker and the real API over HTTP (in a thread, receipts stamped
``RECEIVED``). Workers and pledges are fed to their topics (their own routes have their
own tests); every payer's write goes through the API with payer or officer keys, and
every assertion reads the engine's outputs back from its topics. Month closes are ticks
on the clock topic, each sent only once the engine has answered what came before it, so
the region log's order is the order below.

Two payers in Kota Kendari: ``dealer-kendari`` pays (short, exact, late, over, with a
duplicate and an unknown reference among its reports) and ``bank-sultra`` never pays,
so its worker's term lapses at the close of the fourth month after its first bill.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import httpx
import pytest

from api.keys import KeyFile, Role, issue
from infra.settings import Settings
from infra.topic_io import read_until
from jaring.demo import feed
from models.codec import decode
from models.events import (
    BillIssued,
    BillLine,
    CoverageActivated,
    CoverageCancelled,
    CoverageCommitted,
    CoverageLapsed,
    FundingKind,
    FundingMovement,
    MonthTick,
    PayerMovement,
    PaymentReconciled,
    RefundClosed,
    RefundOwed,
    RefundRejected,
    Targeting,
)
from models.nik import Sex
from models.topics import BILLING, COVERAGE, FUNDING
from tests.conftest import WorkerFactory
from tests.integration.api.conftest import RECEIVED, ApiFactory, Keys, auth
from tests.unit.factories import application, pledge

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

REGION = "74.71"
DEALER, BANK = "dealer-kendari", "bank-sultra"
PREMIUM = 16_800
"""JKK + JKM for a street vendor declaring Rp 1.5 million a month (the factories' worker)."""

E = TypeVar("E")


class Payers:
    def __init__(self, dealer: str, bank: str) -> None:
        self.dealer, self.bank = dealer, bank


@pytest.fixture
def payers(keys: Keys) -> Payers:
    """Payer keys in the same key file as the sponsors' and the officer's."""
    file, made = KeyFile(keys.file), []
    for subject in (DEALER, BANK):
        key, record = issue(Role.PAYER, subject, RECEIVED)
        file.add(record)
        made.append(key)
    return Payers(*made)


class Outputs:
    """The engine's outputs on coverage, billing and funding, read from the start each time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topics = [settings.topic(t.name) for t in (COVERAGE, BILLING, FUNDING)]

    async def until(self, done: Callable[[list[Any]], bool], timeout: float = 120.0) -> list[Any]:
        seen: list[Any] = []
        await read_until(
            self.settings.kafka_bootstrap,
            self.topics,
            lambda _: done(seen),
            timeout,
            lambda record: seen.append(decode(record.value)),
        )
        return seen


def of(events: list[Any], cls: type[E], /, **match: Any) -> list[E]:
    return [e for e in events if isinstance(e, cls) and all(getattr(e, k) == v for k, v in match.items())]


def has(cls: type[Any], n: int = 1, /, **match: Any) -> Callable[[list[Any]], bool]:
    return lambda events: len(of(events, cls, **match)) >= n


def tick(period: str) -> MonthTick:
    year, month = int(period[:4]), int(period[5:])
    after = datetime(year + month // 12, month % 12 + 1, 1, 0, 5, tzinfo=UTC)
    return MonthTick(event_id=f"tick-{REGION}-{period}", event_time=after, region=REGION, period=period)


def read_until_shows(
    client: httpx.Client, key: str, path: str, shows: Callable[[dict[str, Any]], bool], timeout: float = 60.0
) -> dict[str, Any]:
    """GET ``path`` until its JSON ``shows`` what the topics said (the API folds them as they come)."""
    deadline, body = time.monotonic() + timeout, dict[str, Any]()
    while time.monotonic() < deadline:
        answer = client.get(path, headers=auth(key))
        assert answer.status_code == 200, answer.text
        body = dict(answer.json())
        if shows(body):
            return body
        time.sleep(0.2)
    raise AssertionError(f"GET {path} never showed it; last {body}")


def bill_id(payer: str, period: str) -> str:
    return f"bill:{REGION}:{payer}:{period}"


@pytest.fixture
def client(
    api_factory: ApiFactory, settings: Settings, worker_factory: WorkerFactory
) -> Iterator[httpx.Client]:
    worker_factory()
    api = api_factory(settings, api_rate_burst=100_000)  # the limiter's clock stands still in these tests
    with httpx.Client(base_url=api.url, timeout=30.0) as http:
        yield http


def post(client: httpx.Client, key: str, path: str, idem: str, **kw: Any) -> dict[str, Any]:
    answer = client.post(path, headers={**auth(key, idem), **kw.pop("headers", {})}, **kw)
    assert answer.status_code == 202, answer.text
    body: dict[str, Any] = answer.json()
    return body


def upload(client: httpx.Client, key: str, path: str, idem: str, rows: list[str]) -> dict[str, Any]:
    return post(
        client,
        key,
        path,
        idem,
        content="\n".join(rows).encode() + b"\n",
        headers={"Content-Type": "text/csv"},
    )


async def test_a_payer_desk_answers_bpjs_and_pays_bills_and_the_engine_reconciles_everything(
    settings: Settings, client: httpx.Client, keys: Keys, payers: Payers
) -> None:
    out = Outputs(settings)
    men = [
        application(event_time=RECEIVED, submitted_at=RECEIVED, birth_date=date(1980 + n, 3, 1), serial=n)
        for n in range(1, 5)
    ]
    woman = application(
        event_time=RECEIVED, submitted_at=RECEIVED, birth_date=date(1990, 7, 9), serial=9, sex=Sex.FEMALE
    )
    await feed(settings, [*men, woman])
    seat = PREMIUM * 12
    window = {"event_time": RECEIVED, "valid_from": date(2026, 1, 5), "valid_until": date(2026, 12, 31)}
    await feed(
        settings,
        [
            pledge(
                pledge_id="pl-dealer",
                sponsor_id=DEALER,
                payer_id=DEALER,
                amount_idr=3 * seat,
                max_workers=3,
                targeting=Targeting(sexes=(Sex.MALE,)),
                **window,
            ),
            pledge(
                pledge_id="pl-bank",
                sponsor_id=BANK,
                payer_id=BANK,
                amount_idr=seat,
                max_workers=1,
                targeting=Targeting(sexes=(Sex.FEMALE,)),
                **window,
            ),
        ],
    )
    events = await out.until(has(CoverageCommitted, 4))
    dealer_seats = of(events, CoverageCommitted, payer_id=DEALER)
    [bank_seat] = of(events, CoverageCommitted, payer_id=BANK)
    assert len(dealer_seats) == 3

    # ---- BPJS's answers: confirmed by JSON (payer key, officer key) and by CSV; one rejected.
    first, second, rejected = dealer_seats
    post(
        client,
        payers.dealer,
        "/v1/registrations/confirmations",
        "c1",
        json={
            "region": REGION,
            "coverage_id": first.coverage_id,
            "membership_number": "26000000001",
            "start_date": "2026-01-06",
        },
    )
    post(
        client,
        keys.officer,
        "/v1/registrations/confirmations",
        "c2",
        json={
            "region": REGION,
            "coverage_id": bank_seat.coverage_id,
            "membership_number": "26000000009",
            "start_date": "2026-01-06",
            "payer_id": BANK,  # an officer names the payer: the engine checks it is the seat's
        },
    )
    post(
        client,
        payers.dealer,
        "/v1/registrations/rejections",
        "r1",
        json={
            "region": REGION,
            "coverage_id": rejected.coverage_id,
            "reason": "data kependudukan tidak cocok",
        },
    )
    events = await out.until(lambda e: has(CoverageCancelled)(e) and has(CoverageCommitted, 5)(e))
    [cancelled] = of(events, CoverageCancelled)
    assert (cancelled.coverage_id, cancelled.reason, cancelled.message) == (
        rejected.coverage_id,
        "registration_rejected",
        "BPJS rejected the registration: data kependudukan tidak cocok",
    )
    [refill] = [c for c in of(events, CoverageCommitted, payer_id=DEALER) if c not in dealer_seats]
    assert refill.worker not in {s.worker for s in dealer_seats}  # the freed seat went to the waiting man
    sheet = upload(
        client,
        payers.dealer,
        f"/v1/registrations/confirmations/report?region={REGION}",
        "u1",
        [
            "coverage_id,membership_number,start_date",
            f"{second.coverage_id},26000000002,2026-01-06",
            f"{refill.coverage_id},26000000004,2026-01-07",
            f"{first.coverage_id},26000000001,2026-01-06",  # sent by JSON already: the same event again
        ],
    )
    assert (sheet["accepted"], sheet["invalid"]) == (3, 0)
    events = await out.until(has(CoverageActivated, 4))
    activated = {a.coverage_id: a.membership_number for a in of(events, CoverageActivated)}
    assert activated == {
        first.coverage_id: "26000000001",
        second.coverage_id: "26000000002",
        refill.coverage_id: "26000000004",
        bank_seat.coverage_id: "26000000009",
    }

    # ---- January closes: one bill per payer, a line per active term.
    await feed(settings, [tick("2026-01")])
    events = await out.until(has(BillIssued, 2))
    jan = {b.payer_id: b for b in of(events, BillIssued)}
    assert (jan[DEALER].bill_id, jan[DEALER].lines, jan[DEALER].total_idr, jan[DEALER].due_date) == (
        bill_id(DEALER, "2026-01"),
        3,
        3 * PREMIUM,
        date(2026, 2, 15),
    )
    assert (jan[BANK].lines, jan[BANK].total_idr) == (1, PREMIUM)
    assert {line.coverage_id for line in of(events, BillLine, bill_id=bill_id(DEALER, "2026-01"))} == {
        first.coverage_id,
        second.coverage_id,
        refill.coverage_id,
    }

    # ---- Payments on January's bill: short (JSON), then exact, duplicate and unknown (one CSV report).
    # The bank's key cannot pay the dealer's bill: refused from the id, whether the bill exists or not.
    foreign = client.post(
        "/v1/payments",
        headers=auth(payers.bank, "x1"),
        json={
            "payment_id": "TX-X",
            "bill_id": bill_id(DEALER, "2026-01"),
            "amount_idr": 1,
            "paid_on": "2026-02-09",
        },
    )
    assert (foreign.status_code, foreign.json()["code"]) == (403, "bill_not_yours")
    short = post(
        client,
        payers.dealer,
        "/v1/payments",
        "p1",
        json={
            "payment_id": "TX-A1",
            "bill_id": bill_id(DEALER, "2026-01"),
            "amount_idr": PREMIUM + 10_000,
            "paid_on": "2026-02-09",
        },
    )
    events = await out.until(has(PaymentReconciled, payment_id="TX-A1"))
    [reconciled] = of(events, PaymentReconciled, payment_id="TX-A1")
    assert reconciled.event_id == f"payment.reconciled:{short['event_id']}"
    assert (
        reconciled.outcome,
        reconciled.applied_idr,
        reconciled.refund_idr,
        reconciled.lines_paid,
        reconciled.lines_outstanding,
    ) == ("short", PREMIUM, 10_000, 1, 2)
    report = upload(
        client,
        payers.dealer,
        "/v1/payments/report",
        "u2",
        [
            "payment_id,bill_id,amount_idr,paid_on",
            f"TX-A2,{bill_id(DEALER, '2026-01')},{2 * PREMIUM},2026-02-10",
            f"TX-A1,{bill_id(DEALER, '2026-01')},{PREMIUM + 10_000},2026-02-09",  # the same transfer, again
            f"TX-A9,{bill_id(DEALER, '2031-01')},5000,2026-02-10",
            f"TX-B1,{bill_id(BANK, '2026-01')},{PREMIUM},2026-02-10",  # not the dealer's bill: refused here
        ],
    )
    assert [(r["id"], r["outcome"], r["reason"]) for r in report["results"]] == [
        ("TX-A2", "accepted", None),
        ("TX-A1", "accepted", None),
        ("TX-A9", "accepted", None),
        ("TX-B1", "invalid", "bill_not_yours"),
    ]
    events = await out.until(has(PaymentReconciled, 4))
    outcomes = {
        (p.payment_id, p.event_id): (p.outcome, p.reason, p.applied_idr, p.refund_idr)
        for p in of(events, PaymentReconciled)
    }
    results = {r["id"]: r["event_id"] for r in report["results"]}
    assert outcomes == {
        ("TX-A1", f"payment.reconciled:{short['event_id']}"): ("short", "payment_short", PREMIUM, 10_000),
        ("TX-A2", f"payment.reconciled:{results['TX-A2']}"): ("exact", "payment_exact", 2 * PREMIUM, 0),
        ("TX-A1", f"payment.reconciled:{results['TX-A1']}"): ("duplicate", "payment_duplicate", 0, 0),
        ("TX-A9", f"payment.reconciled:{results['TX-A9']}"): ("unknown_reference", "bill_unknown", 0, 5000),
    }
    owed = {r.refund_id: (r.cause, r.amount_idr) for r in of(events, RefundOwed)}
    assert owed == {
        f"refund:{REGION}:{DEALER}:TX-A1": ("short_remainder", 10_000),
        f"refund:{REGION}:{DEALER}:TX-A9": ("unknown_reference", 5000),
    }

    # ---- February: the dealer pays late. At March's close its February lines are in arrears.
    await feed(settings, [tick("2026-02")])
    await out.until(has(BillIssued, 4))
    await feed(settings, [tick("2026-03")])
    events = await out.until(has(BillIssued, 6))
    arrears = of(events, FundingMovement, kind=FundingKind.ARREARS, pledge_id="pl-dealer")
    assert [m.amount_idr for m in arrears] == [3 * PREMIUM]
    assert arrears[0].balances.arrears_idr == 3 * PREMIUM
    post(
        client,
        keys.officer,
        "/v1/payments",
        "p2",
        json={
            "payment_id": "TX-A3",
            "bill_id": bill_id(DEALER, "2026-02"),
            "amount_idr": 3 * PREMIUM,
            "paid_on": "2026-04-02",
            "payer_id": DEALER,
        },
    )
    post(
        client,
        payers.dealer,
        "/v1/payments",
        "p3",
        json={
            "payment_id": "TX-A4",
            "bill_id": bill_id(DEALER, "2026-03"),
            "amount_idr": 3 * PREMIUM + 7_000,
            "paid_on": "2026-04-02",
        },
    )
    events = await out.until(has(PaymentReconciled, 6))
    [late] = of(events, PaymentReconciled, payment_id="TX-A3")
    [over] = of(events, PaymentReconciled, payment_id="TX-A4")
    assert (late.outcome, late.applied_idr, late.lines_outstanding) == ("exact", 3 * PREMIUM, 0)
    assert (over.outcome, over.applied_idr, over.refund_idr) == ("over", 3 * PREMIUM, 7_000)
    paid = of(events, FundingMovement, kind=FundingKind.PAID, pledge_id="pl-dealer")
    assert paid[-2].balances.arrears_idr == 0  # the arrears were paid
    assert of(events, RefundOwed, refund_id=f"refund:{REGION}:{DEALER}:TX-A4")[0].cause == "overpayment"

    # ---- The bank never paid: after April's and May's closes its term lapses (4 unpaid months > 3).
    await feed(settings, [tick("2026-04")])
    await out.until(has(BillIssued, 8))
    await feed(settings, [tick("2026-05")])
    events = await out.until(has(CoverageLapsed))
    [lapsed] = of(events, CoverageLapsed)
    assert (lapsed.coverage_id, lapsed.payer_id, lapsed.unpaid_months) == (bank_seat.coverage_id, BANK, 4)
    # January to March at 16,800; April at 8,400: PP 50/2025 halves JKK+JKM for every occupation
    # from April 2026 (a street vendor's lines before that are not discounted).
    assert lapsed.written_off_idr == 3 * PREMIUM + PREMIUM // 2
    assert not of(events, CoverageLapsed, payer_id=DEALER)  # one month unpaid (April) is only arrears

    # ---- Refunds: the city settles the short payment's remainder; an over-large settlement is refused.
    settled = post(
        client,
        keys.officer,
        f"/v1/refunds/refund:{REGION}:{DEALER}:TX-A1/settlement",
        "s1",
        json={"amount_idr": 10_000, "settled_on": "2026-06-01", "transfer_id": "TR-1"},
    )
    refused = post(
        client,
        keys.officer,
        f"/v1/refunds/refund:{REGION}:{DEALER}:TX-A4/settlement",
        "s2",
        json={"amount_idr": 7_001, "settled_on": "2026-06-01"},
    )
    events = await out.until(lambda e: has(RefundClosed)(e) and has(RefundRejected)(e))
    [closed] = of(events, RefundClosed)
    assert closed.event_id == f"refund.closed:{settled['event_id']}"
    assert (closed.refund_id, closed.amount_idr, closed.refunded_idr, closed.remaining_idr) == (
        f"refund:{REGION}:{DEALER}:TX-A1",
        10_000,
        10_000,
        0,
    )
    [rejected_settlement] = of(events, RefundRejected)
    assert (rejected_settlement.event_id, rejected_settlement.reason) == (
        f"refund.rejected:{refused['event_id']}",
        "refund_over_owed",
    )
    account = of(events, PayerMovement, payer_id=DEALER)[-1].balances
    received = (PREMIUM + 10_000) + 2 * PREMIUM + 5000 + 3 * PREMIUM + (3 * PREMIUM + 7_000)
    assert (account.received_idr, account.applied_idr, account.refunds_owed_idr, account.refunded_idr) == (
        received,
        9 * PREMIUM,
        10_000 + 5000 + 7_000,
        10_000,
    )

    # ---- The same story through the payers' own views (folded by the API from the same topics).
    def bill_states(body: dict[str, Any]) -> dict[str, str]:
        return {b["period"]: b["state"] for b in body["bills"]}

    dealer_bills = read_until_shows(
        client, payers.dealer, "/v1/payers/me/bills", lambda b: bill_states(b).get("2026-05") is not None
    )
    assert bill_states(dealer_bills) == {
        "2026-01": "paid",
        "2026-02": "paid",
        "2026-03": "paid",
        "2026-04": "in_arrears",
        "2026-05": "due",
    }
    bank_bills = read_until_shows(
        client, payers.bank, "/v1/payers/me/bills", lambda b: bill_states(b).get("2026-01") == "written_off"
    )
    assert set(bill_states(bank_bills).values()) == {"written_off"}
    refunds = read_until_shows(
        client,
        payers.dealer,
        "/v1/payers/me/refunds",
        lambda b: any(r["state"] == "settled" for r in b["refunds"]),
    )
    assert {r["refund_id"]: (r["state"], r["remaining_idr"]) for r in refunds["refunds"]} == {
        f"refund:{REGION}:{DEALER}:TX-A1": ("settled", 0),
        f"refund:{REGION}:{DEALER}:TX-A9": ("owed", 5000),
        f"refund:{REGION}:{DEALER}:TX-A4": ("owed", 7_000),
    }
