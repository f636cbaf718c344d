"""What ``benchmarks.scale`` reads outside Kafka: a process's memory, and the changelogs' size on disk."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.scale import changelog_sizes, memory

_BALLAST = """
import sys
sys.stdin.readline()
ballast = bytearray(64 * 2**20)
ballast[:: 4096] = b"x" * len(ballast[:: 4096])  # touched pages: RSS and the peak grow by them
print("grown", flush=True)
sys.stdin.readline()
"""


def test_memory_reads_a_process_rss_and_its_peak() -> None:
    # A child of its own: in this process, pages an earlier test freed may still be resident and
    # serve the ballast (CI saw RSS unchanged once), so the growth would not show.
    with subprocess.Popen([sys.executable, "-c", _BALLAST], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True) as child:
        try:
            assert child.stdin is not None and child.stdout is not None
            before = memory(child.pid)
            child.stdin.write("grow\n")
            child.stdin.flush()
            assert child.stdout.readline() == "grown\n"
            after = memory(child.pid)
        finally:
            child.kill()
    assert 0 < before["rss_bytes"] <= before["hwm_bytes"]
    assert after["rss_bytes"] >= before["rss_bytes"] + 48 * 2**20
    assert after["hwm_bytes"] >= after["rss_bytes"]


def _partition(log_dir: Path, name: str, sizes: dict[str, int]) -> None:
    directory = log_dir / name
    directory.mkdir()
    for file, size in sizes.items():
        (directory / file).write_bytes(b"\1" * size)


def test_changelog_sizes_counts_only_the_groups_changelog_partitions(tmp_path: Path) -> None:
    _partition(tmp_path, "ns-engine-region-state-changelog-0", {"00.log": 40_000, "00.index": 8192})
    _partition(tmp_path, "ns-engine-region-state-changelog-7", {"00.log": 10_000})
    _partition(tmp_path, "ns-engine-probe-counts-changelog-3", {"00.log": 5_000})
    _partition(tmp_path, "other-engine-region-state-changelog-0", {"00.log": 90_000})  # another namespace
    _partition(tmp_path, "ns.region-log.v1-0", {"00.log": 90_000})  # not a changelog
    (tmp_path / "ns-engine-region-state-changelog-1.tmp").write_bytes(b"\1" * 90_000)  # not a partition

    sizes = changelog_sizes(tmp_path, "ns-engine")

    assert set(sizes) == {"ns-engine-region-state-changelog", "ns-engine-probe-counts-changelog"}
    # Allocated blocks: at least the bytes written, rounded up to whole blocks.
    assert 58_192 <= sizes["ns-engine-region-state-changelog"] < 58_192 + 3 * 8192
    assert 5_000 <= sizes["ns-engine-probe-counts-changelog"] < 5_000 + 8192


def test_a_sparse_index_counts_what_is_allocated_not_its_length(tmp_path: Path) -> None:
    directory = tmp_path / "ns-engine-region-state-changelog-0"
    directory.mkdir()
    with (directory / "00.index").open("wb") as index:
        index.truncate(10 * 2**20)  # presized as Kafka does: a hole, nothing written
    assert changelog_sizes(tmp_path, "ns-engine")["ns-engine-region-state-changelog"] < 2**20
