"""Regenerates ``recorded/kendari-mini.tsv``: every output of a small Kendari story, as on the wire.

Run ``python -m tests.unit.dashboard.dashboard_recording`` after an intended change to the
output events. The story touches every transition the dashboard shows:
applications that wait, one too old and one duplicate rejected, a one-month
pledge whose workers are renewed onto a three-month pledge, a pledge with
months the city does not allow, workers matched on arrival until a pledge is
exhausted, one who then waits and is taken by a six-month pledge, six month
closes (BPJS confirming every registration: ``jaring.bpjs``), terms ending
unrenewed and the pledges expiring with their remainders returned. The
payers differ (``HABITS``): pledge B's pays each bill a month late (in
arrears, then paid in full), pledge A's and D's never pay (A's ended term's
line is written off, D's term lapses), and pledge C's payer, whose pledge was
refused, pays a bill that does not exist: a refund owed, partly settled.

Each line is ``topic<TAB>event JSON`` in the matcher's emission order (the
region log's order); the tests replay it in other topic interleavings too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from infra.settings import DEV_PSEUDONYM_KEY
from jaring.bpjs import Habits, Simulator, drive
from jaring.scenario import applications, month_ticks, pledges
from models.codec import encode
from models.events import Input, InputEvent, OutputEvent, PaymentReported, RefundSettled
from models.matcher import RegionMatcher
from models.topics import route

__all__ = ["HABITS", "RECORDING", "story"]

RECORDING = Path(__file__).parent / "recorded" / "kendari-mini.tsv"
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
HABITS = Habits(late={"payer-1": 1}, never=frozenset({"payer-0", "payer-3"}))
STRAY_PAYMENT = "TX-STRAY-1"
"""Payer 2's transfer to a bill it never had: all of it is owed back, Rp 10,000 of it is settled."""


def story() -> list[InputEvent]:
    """The inputs, in region-log order."""
    apps = applications(8, start=START)
    too_old = apps[0].model_copy(update={
        "event_id": "app-evt-too-old", "application_id": "app-too-old", "nik": "7471022101550001",
        "birth_date": date(1955, 1, 21),
    })
    duplicate = apps[1].model_copy(update={"event_id": "app-evt-dup", "application_id": "app-dup"})
    one_month, three_months, odd = (
        pledges([2], start=START + timedelta(hours=2), months=1, valid_days=60, id_prefix="pledge-a")[0],
        pledges([10], start=START + timedelta(hours=3), months=3, valid_days=75, id_prefix="pledge-b")[0],
        pledges([4], start=START + timedelta(hours=4), months=6, id_prefix="pledge-c")[0],
    )
    one_month = one_month.model_copy(update={"amount_idr": one_month.amount_idr + 5_000})
    three_months = three_months.model_copy(update={"sponsor_id": "sponsor-1", "payer_id": "payer-1"})
    odd = odd.model_copy(update={"sponsor_id": "sponsor-2", "payer_id": "payer-2", "months": 5})
    late = applications(3, seed=74, start=START + timedelta(hours=5), id_prefix="late")
    six_months = pledges([1], start=START + timedelta(hours=6), months=6, valid_days=150,
                         id_prefix="pledge-d")[0]
    six_months = six_months.model_copy(update={"sponsor_id": "sponsor-3", "payer_id": "payer-3"})
    ticks = month_ticks("2026-01", 6)
    paid_on = date(2026, 4, 10)
    stray = PaymentReported(
        event_id="stray-payment", event_time=datetime(2026, 4, 10, 3, 0, tzinfo=UTC),
        payment_id=STRAY_PAYMENT, payer_id="payer-2", region="74.71", bill_id="bill:74.71:payer-2:2026-03",
        amount_idr=16_800, paid_on=paid_on, source="topic",
    )
    settled = RefundSettled(
        event_id="stray-refund-settled", event_time=datetime(2026, 4, 20, 3, 0, tzinfo=UTC), region="74.71",
        refund_id=f"refund:74.71:payer-2:{STRAY_PAYMENT}", amount_idr=10_000, settled_on=date(2026, 4, 20),
    )
    return [
        *apps, too_old, duplicate, one_month, three_months, odd, late[0],
        ticks[0], late[1], late[2], six_months, *ticks[1:3], stray, settled, *ticks[3:],
    ]


def record(path: Path = RECORDING) -> int:
    """BPJS confirms every registration; the payers pay as ``HABITS`` says (``jaring.bpjs``)."""
    matcher = RegionMatcher("74.71", DEV_PSEUDONYM_KEY.encode())
    lines = []

    def handle(event: Input) -> list[OutputEvent]:
        outputs = matcher.handle(event).outputs
        lines.extend(f"{route(output)[0]}\t{encode(output).decode()}\n" for output in outputs)
        return outputs

    drive(story(), handle, Simulator(HABITS))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines))
    return len(lines)


if __name__ == "__main__":
    print(f"{record()} events written to {RECORDING}")
