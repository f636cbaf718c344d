"""The tariff in force each month, end to end: a real broker, a real worker, the real API over HTTP.

An ojek driver and a tailor are covered from January 2026 by one pledge of two 6-month seats,
committed at Rp 16,800 a month each. One tick closes January to April. PP 50/2025 halves JKK+JKM
for transport workers from January and for everyone from April: the bills on ``billing.v1`` carry
Rp 8,400 for the driver's lines (and the tailor's in April), each pledge close's ``funding.v1``
movements carry the ``repriced`` difference, and the pledge read (``GET /v1/pledges/...``) adds up:
what the discount gave back is uncommitted again, nothing was refunded.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from infra.settings import Settings
from jaring.demo import feed
from models.events import (
    BillIssued,
    BillLine,
    CoverageActivated,
    CoverageCommitted,
    FundingKind,
    FundingMovement,
)
from models.occupations import Occupation
from tests.conftest import WorkerFactory
from tests.integration.api.conftest import RECEIVED, ApiFactory, Keys
from tests.integration.api.test_payments_end_to_end import Outputs, has, of, read_until_shows, tick
from tests.unit.factories import application, confirmed, pledge

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

FULL, HALF = 16_800, 8_400
DEALER = "dealer-kendari"


@pytest.fixture
def client(
    api_factory: ApiFactory, settings: Settings, worker_factory: WorkerFactory
) -> Iterator[httpx.Client]:
    worker_factory()
    api = api_factory(settings, api_rate_burst=100_000)
    with httpx.Client(base_url=api.url, timeout=30.0) as http:
        yield http


async def test_months_are_billed_at_the_discounted_tariff_and_the_difference_goes_back_to_the_pledge(
    settings: Settings, client: httpx.Client, keys: Keys
) -> None:
    out = Outputs(settings)
    ojek, tailor = (application(event_time=RECEIVED, submitted_at=RECEIVED, serial=n + 1, occupation=o)
                    for n, o in enumerate((Occupation.OJEK_DRIVER, Occupation.TAILOR)))
    await feed(settings, [ojek, tailor, pledge(
        pledge_id="pl-tariff", sponsor_id=DEALER, payer_id=DEALER, amount_idr=2 * FULL * 6, months=6,
        event_time=RECEIVED, valid_from=date(2026, 1, 5), valid_until=date(2026, 12, 31))])
    events = await out.until(has(CoverageCommitted, 2))
    await feed(settings, [confirmed(s.coverage_id, event_id=f"ok-{s.coverage_id}", event_time=RECEIVED,
                                    start_date=RECEIVED.date()) for s in of(events, CoverageCommitted)])
    events = await out.until(has(CoverageActivated, 2))
    driver = next(s.worker for s in of(events, CoverageActivated) if s.occupation is Occupation.OJEK_DRIVER)

    await feed(settings, [tick("2026-04")])  # closes January, February, March and April in turn
    events = await out.until(lambda e: has(BillIssued, 4)(e) and has(FundingMovement, 4,
                                                                      kind=FundingKind.REPRICED)(e))
    lines = {(line.period, line.worker == driver): (line.amount_idr, line.discount)
             for line in of(events, BillLine)}
    for month in ("2026-01", "2026-02", "2026-03"):
        assert lines[(month, True)] == (HALF, "PP 50/2025, transport")
        assert lines[(month, False)] == (FULL, None)
    assert lines[("2026-04", True)] == (HALF, "PP 50/2025, transport")
    assert lines[("2026-04", False)] == (HALF, "PP 50/2025, other occupations")
    assert [b.total_idr for b in of(events, BillIssued)] == [HALF + FULL] * 3 + [2 * HALF]
    repriced = of(events, FundingMovement, kind=FundingKind.REPRICED)
    assert [(m.period, m.amount_idr) for m in repriced] == [
        ("2026-01", HALF), ("2026-02", HALF), ("2026-03", HALF), ("2026-04", 2 * HALF)]

    billed = 3 * (HALF + FULL) + 2 * HALF
    read = read_until_shows(client, keys.sponsor_a, "/v1/pledges/pl-tariff",
                            lambda b: b["billed_idr"] == billed)
    assert read["pledged_idr"] == read["committed_idr"] + read["uncommitted_idr"] == 2 * FULL * 6
    assert read["committed_idr"] == read["billed_idr"] + read["not_yet_billed_idr"]
    assert read["billed_idr"] == (
        read["paid_idr"] + read["due_idr"] + read["arrears_idr"] + read["written_off_idr"])
    assert read["not_yet_billed_idr"] == 2 * 2 * FULL  # May and June, still at the committed price
    assert read["uncommitted_idr"] == sum(m.amount_idr for m in repriced) == 5 * HALF
    assert (read["returned_idr"], read["remaining_idr"]) == (0, 2 * FULL * 6)  # in the pledge, not refunded
