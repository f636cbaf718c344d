"""``benchmarks.close`` measures what it says: a region of N covered workers built through the real core,
every close billing each of them one line, bills paid between closes (a small run, its figures not timed)."""

from __future__ import annotations

import pytest

from benchmarks import close


def test_each_close_bills_every_covered_worker_once_and_the_bills_are_paid(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert close.main(["--covered", "300", "--closes", "3"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [row[0] for row in rows] == ["2025-01", "2025-02", "2025-03"]
    for row in rows:
        lines = int(row[2].replace(",", ""))
        assert lines >= 300
        # a line per term, a bill per payer, a ``billed`` movement per pledge; no arrears, no lapse: paid
        assert int(row[1].replace(",", "")) == lines + close.PAYERS + close.PLEDGES
