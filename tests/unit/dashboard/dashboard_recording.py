"""Regenerates ``recorded/kendari-mini.tsv``: every output of a small Kendari story, as on the wire.

Run ``python -m tests.unit.dashboard.dashboard_recording`` after an intended change to the
output events. The story touches every transition the dashboard shows:
applications that wait, one too old and one duplicate rejected, a one-month
pledge whose workers are renewed onto a three-month pledge, a pledge with
months the city does not allow, workers matched on arrival until a pledge is
exhausted, one who then waits, five month closes with bills paid on time
(BPJS confirming every registration: ``jaring.bpjs``), terms ending
unrenewed and both pledges expiring with their remainders returned.

Each line is ``topic<TAB>event JSON`` in the matcher's emission order (the
region log's order); the tests replay it in other topic interleavings too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from infra.settings import DEV_PSEUDONYM_KEY
from jaring.bpjs import Simulator, drive
from jaring.scenario import applications, month_ticks, pledges
from models.codec import encode
from models.events import Input, InputEvent, OutputEvent
from models.matcher import RegionMatcher
from models.topics import route

__all__ = ["RECORDING", "story"]

RECORDING = Path(__file__).parent / "recorded" / "kendari-mini.tsv"
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


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
    ticks = month_ticks("2026-01", 5)
    return [
        *apps, too_old, duplicate, one_month, three_months, odd, late[0],
        ticks[0], late[1], late[2], *ticks[1:],
    ]


def record(path: Path = RECORDING) -> int:
    """BPJS confirms every registration and payers pay every bill on time (``jaring.bpjs``)."""
    matcher = RegionMatcher("74.71", DEV_PSEUDONYM_KEY.encode())
    lines = []

    def handle(event: Input) -> list[OutputEvent]:
        outputs = matcher.handle(event).outputs
        lines.extend(f"{route(output)[0]}\t{encode(output).decode()}\n" for output in outputs)
        return outputs

    drive(story(), handle, Simulator())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines))
    return len(lines)


if __name__ == "__main__":
    print(f"{record()} events written to {RECORDING}")
