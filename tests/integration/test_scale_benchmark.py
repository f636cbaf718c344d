"""``benchmarks/scale.py`` keeps working: a small regency through its command line, every figure present.

Runs the benchmark as its users do (``python -m benchmarks.scale``) against
this session's broker, at a few hundred workers, and checks the JSON it
writes: every worker decided, matched and covered, three closes and the one
after a SIGKILL complete with a bill line per covered worker, the worker's
memory read at every phase, the changelog found on disk. Never a time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import Broker

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

WORKERS = 240


def run_scale(kafka: Broker, namespace: str, tmp_path: Path) -> tuple[dict[str, Any], str]:
    out = tmp_path / "scale.json"
    command = [sys.executable, "-m", "benchmarks.scale", "--workers", str(WORKERS), "--store", "memory://",
               "--bootstrap", kafka.bootstrap_servers, "--namespace", namespace, "--timeout", "120",
               "--json", str(out)]
    if kafka.cluster is not None:
        command += ["--kafka-log-dir", str(kafka.cluster.nodes[0].data_dir)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=400, check=False)
    assert done.returncode == 0, (
        f"scale.py failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return orjson.loads(out.read_bytes()), done.stdout


def test_scale_benchmark_reports_every_figure_for_a_small_regency(
    kafka: Broker, namespace: str, tmp_path: Path
) -> None:
    report, printed = run_scale(kafka, namespace, tmp_path)

    assert report["workers"] == WORKERS and report["store"] == "memory://"
    machine = report["machine"]
    assert machine["cores"] >= 1 and machine["ram_bytes"] > 0 and machine["python"]
    intake = report["intake"]
    assert (intake["applications"], intake["waiting"], intake["rejected"]) == (WORKERS, WORKERS, 0)
    assert intake["seconds"] > 0 and intake["per_second"] > 0
    assert report["match"]["seats_committed"] == WORKERS and report["match"]["seconds"] > 0
    assert report["registrations"]["confirmed"] == WORKERS
    assert report["registrations"]["covered"] == WORKERS and report["covered"] == WORKERS

    closes = [*report["closes"], report["recovery"]["close"]]
    assert [c["period"] for c in closes] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    for close in closes:
        assert close["bill_lines"] == WORKERS, close  # every covered worker billed: the close completed
        assert close["outputs"] > WORKERS and close["seconds"] > 0
        assert 0 <= close["last_output_seconds"] <= close["seconds"]
        assert 0 < close["rss_bytes"] <= close["hwm_bytes"]
    # Every bill of the month before was paid before the next close, as the payers do.
    assert [c["payments_before"] for c in closes] == [0, 3, 3, 3]
    recovery = report["recovery"]
    assert 0 < recovery["ready_seconds"] < recovery["until_close_seconds"]
    assert recovery["until_close_seconds"] >= recovery["close"]["seconds"]

    phases = [m["after"] for m in report["memory"]]
    assert phases == ["start (ready, idle)", "intake", "close 2026-01", "close 2026-02", "close 2026-03",
                      "restart ready", "recovery close 2026-04"]
    assert all(0 < m["rss_bytes"] <= m["hwm_bytes"] for m in report["memory"])
    assert report["rss_per_covered_worker_bytes"] == round(report["memory"][-1]["rss_bytes"] / WORKERS, 1)
    assert report["peak_per_covered_worker_bytes"] >= report["rss_per_covered_worker_bytes"]
    if kafka.cluster is not None:
        changelog = report["changelog"]
        assert changelog["total_bytes"] > 0 and changelog["region_state_bytes"] > 0
        assert all(name.startswith(f"{namespace}-engine-") for name in changelog["topics"])

    for label in ("| intake |", "| time to match |", "| close 3 (2026-03) |",
                  "| SIGKILL → restarted worker ready |", "| worker RSS after recovery close 2026-04 |",
                  "| changelogs on disk |", "| machine |"):
        assert label in printed
