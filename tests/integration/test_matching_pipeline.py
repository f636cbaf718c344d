"""The Kendari programme through real workers on a real broker, checked on the output topics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise
from typing import Any
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from infra.settings import Settings
from infra.topic_io import read_until
from jaring.audit import Reader
from jaring.bpjs import Simulator
from jaring.demo import Answered, answer, close_months, feed, outputs_until
from jaring.processes import WorkerProcess
from jaring.scenario import applications, kendari, pledges
from models.codec import decode, loads
from models.events import BillLine, CoverageCommitted, CoverageExpired, PaymentReconciled
from models.matcher import RegionMatcher
from models.occupations import Occupation
from models.topics import APPLICATIONS, REGION_LOG
from tests.conftest import WorkerFactory

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def get_json(worker: WorkerProcess, path: str) -> Any:
    with urlopen(f"http://127.0.0.1:{worker.env['JARING_WEB_PORT']}{path}", timeout=10) as response:
        return loads(response.read())


def get_status(worker: WorkerProcess, path: str) -> int:
    try:
        with urlopen(f"http://127.0.0.1:{worker.env['JARING_WEB_PORT']}{path}", timeout=10) as response:
            return int(response.status)
    except HTTPError as error:
        return error.code


def counted(kind: str, n: int) -> Callable[[Reader], bool]:
    return lambda r: r.result.counts[kind] >= n


async def test_kendari_covers_all_1500_in_priority_order_then_bills_twelve_months(
    settings: Settings, worker_factory: WorkerFactory
) -> None:
    worker = worker_factory()
    scenario = kendari()
    await feed(settings, scenario.applications)
    await outputs_until(settings, counted("application.waiting", 1500))
    await feed(settings, scenario.pledges)
    matched = await outputs_until(settings, counted("coverage.committed", 1500))

    commitments = [e for e in matched.events if isinstance(e, CoverageCommitted)]
    assert len(commitments) == 1500
    assert sum(p.amount_idr for p in scenario.pledges) == 302_400_000
    # The pure core, fed the same log, is the oracle for who goes first.
    oracle = RegionMatcher("74.71", settings.pseudonym_key.get_secret_value().encode())
    expected = [
        o.worker
        for e in scenario.applications + scenario.pledges
        for o in oracle.handle(e).outputs
        if isinstance(o, CoverageCommitted)
    ]
    assert [a.worker for a in commitments] == expected
    keys = [a.priority.key for a in commitments]
    assert all(
        earlier >= later for (earlier, later) in pairwise(keys[:500])
    ), "the first pledge took workers out of priority order"

    # A BPJS branch confirms every registration through registrations.v1; every payer pays each bill
    # in full during the month after it, through payments.v1 (jaring.bpjs, over the real broker).
    simulator, answered = Simulator(), Answered()
    covered = await answer(settings, simulator, answered)
    assert covered.counts["coverage.activated"] == 1500
    await close_months(settings, simulator, answered, scenario.ticks)
    final = await outputs_until(settings, counted("coverage.expired", 1500), applications=1500)

    assert final.ok, final.violations
    assert final.counts["bill.line"] == 12 * 1500 and final.counts["bill.issued"] == 12 * 3
    assert final.counts["funding.billed"] == 12 * 3  # one per pledge per close
    # December's bill is paid the month after: no tick closes it here
    assert final.counts["payment.reconciled"] == final.counts["funding.paid"] == 11 * 3
    assert {e.outcome for e in final.events if isinstance(e, PaymentReconciled)} == {"exact"}
    assert final.counts["coverage.expired"] == 1500
    assert all(isinstance(e, CoverageExpired) and e.months_billed == 12 for e in final.of(CoverageExpired))
    assert len([e for e in final.events if isinstance(e, BillLine)]) == 18_000

    # The worker's own views tell the same story, month by month, without a name in sight.
    # Seats commit Rp 16,800 a month; 2026's months are billed at the tariff in force (PP 50/2025
    # halves JKK+JKM): an ojek driver's twelve at Rp 8,400, anyone else's January to March at
    # Rp 16,800 and April to December at Rp 8,400. What the discount saves goes back to each pledge.
    def year(c: CoverageCommitted) -> int:
        return 12 * 8_400 if c.occupation is Occupation.OJEK_DRIVER else 3 * 16_800 + 9 * 8_400
    ojek = sum(c.occupation is Occupation.OJEK_DRIVER for c in commitments)
    billed = {pid: sum(year(c) for c in commitments if c.pledge_id == pid) for pid in {c.pledge_id
                                                                                       for c in commitments}}
    december = 1500 * 8_400
    series = get_json(worker, "/v1/regions/74.71/series")["points"]
    assert [p["period"] for p in series] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert series[0]["pledged_idr"] == 302_400_000
    assert series[0]["committed_idr"] == 302_400_000 - ojek * 8_400  # January's discount given back
    assert series[0]["covered"] == 1500
    assert series[-1]["billed_idr"] == sum(billed.values())
    assert series[-1]["paid_idr"] == sum(billed.values()) - december and series[-1]["due_idr"] == december
    assert series[-1]["covered"] == 0 and series[-1]["waiting"] == 1500
    ledgers = get_json(worker, "/v1/regions/74.71/pledges")["pledges"]
    assert [(p["seats_filled"], p["billed_idr"], p["paid_idr"], p["arrears_idr"], p["remainder_idr"])
            for p in ledgers] == [(500, billed[p["pledge_id"]], billed[p["pledge_id"]] - 500 * 8_400, 0,
                                   100_800_000 - billed[p["pledge_id"]]) for p in ledgers]
    assert get_status(worker, "/v1/regions/99.99/series") == 404
    assert get_status(worker, "/v1/regions/kendari/series") == 400
    assert get_status(worker, "/table/region-state/") == 404  # Faust's table dump stays off

    # Same input log, same output: replaying the region log through a fresh
    # pure matcher reproduces every output on the topics, id for id.
    log = await read_until(settings.kafka_bootstrap, [settings.topic(REGION_LOG.name)],
                           lambda records: len(records) >= 1503 + 1500 + 11 * 3 + 12)
    replay = RegionMatcher("74.71", settings.pseudonym_key.get_secret_value().encode())
    replayed = {o.event_id: o for r in log for o in replay.handle(decode(r.value)).outputs}  # type: ignore[arg-type]
    assert replayed == {e.event_id: e for e in final.events}


async def test_short_pledges_leave_the_lowest_priority_waiting_and_a_later_pledge_takes_them_first(
    settings: Settings, worker_factory: WorkerFactory
) -> None:
    worker_factory()
    apps = applications(300, seed=11)
    await feed(settings, apps)
    await outputs_until(settings, counted("application.waiting", 300))
    after = apps[-1].event_time + timedelta(hours=1)
    await feed(settings, pledges([200], start=after, id_prefix="first"))
    first = await outputs_until(settings, counted("coverage.committed", 200))
    await feed(settings, pledges([100], start=after + timedelta(days=1), id_prefix="second"))
    both = await outputs_until(settings, counted("coverage.committed", 300), applications=300)

    assert both.ok, both.violations
    firsts = [e for e in first.events if isinstance(e, CoverageCommitted)]
    seconds = [e for e in both.events if isinstance(e, CoverageCommitted) and e.pledge_id == "second-0"]
    assert min(e.priority.key for e in firsts) >= max(e.priority.key for e in seconds)
    assert len(seconds) == 100


async def test_malformed_records_are_dead_lettered_and_nothing_else_is_lost(
    settings: Settings, worker_factory: WorkerFactory
) -> None:
    from infra.topic_io import send_all
    from models.codec import decode

    worker_factory()
    junk = [
        (b"74.71", b"not json at all"),
        (b"74.71", b'{"type": "application.submitted", "schema_version": 1}'),
        (b"74.71", b'{"type": "no.such.event", "event_id": "x"}'),
        (b"74.71", b'{"type": "month.tick", "schema_version": 1, "event_id": "t", '
                   b'"event_time": "2026-01-31T00:00:00Z", "region": "74.71", "period": "2026-01"}'),
    ]
    apps = applications(50, seed=3)
    await feed(settings, apps[:25])
    await send_all(settings.kafka_bootstrap, settings.topic(APPLICATIONS.name), junk)
    await feed(settings, apps[25:])

    result = await outputs_until(
        settings, lambda r: r.result.counts["deadletter"] >= 4 and r.accounted >= 50,
        applications=50,
    )

    assert result.ok, result.violations
    letters = {e.reason: e for e in result.events if e.type == "deadletter"}
    assert set(letters) == {"not_json", "invalid_field", "unknown_type", "wrong_topic"}
    import base64

    originals = {base64.b64decode(e.original_b64) for e in letters.values()}
    assert originals == {value for _, value in junk}
    assert decode(junk[3][1]).type == "month.tick"  # valid, but on the wrong topic
