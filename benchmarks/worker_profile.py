"""Where a busy worker's time goes: py-spy samples during benchmark (c), by component.

Runs the same throughput measurement as ``benchmarks/e2e.py`` (c) on its own
broker while ``py-spy`` samples the worker process, counting only samples
whose thread holds the GIL (``--gil``: Python work, not waiting), and sorts
each sample into the first component its stack touches:

    python -m benchmarks.worker_profile --events 20000

Prints the throughput, then each component's share of the samples and
the microseconds of one core it costs per input event. The raw samples
stay in the printed file, for ``py-spy``'s own viewers.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.e2e import THROUGHPUT_PLEDGES, jaring_throughput
from deploy.kafka.runner import KafkaCluster

# (component, substrings of a stack frame's file or function); the first that matches wins.
COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pure core: matching, validation, encoding (models/, pydantic)", ("models/",)),
    ("table writes: to the changelog, as Kafka batches (streams/repairs/changelog.py) or Faust's path",
     ("streams/repairs/changelog.py", "faust/tables", "mode/utils/collections", "faust/transport/producer",
      "faust/topics.py")),
    ("consuming: fetch, Faust's delivery to agents, stream iteration",
     ("faust/transport/consumer", "faust/transport/conductor", "aiokafka/consumer", "faust/streams.py",
      "faust/channels.py", "mode/utils/queues", "Service.wait_first", "ConsumerThread")),
    ("producing outputs and region-log records: aiokafka, socket writes",
     ("aiokafka/producer", "aiokafka/conn.py", "aiokafka/client.py", "Producer.send (faust/transport")),
    ("metrics (prometheus_client)", ("prometheus_client",)),
    ("Jaring's shell (streams/)", ("streams/",)),
)
OTHER = "event loop (uvloop's own frames are not seen), Faust services, other"


def classify(stack: str) -> str:
    for name, needles in COMPONENTS:
        if any(needle in stack for needle in needles):
            return name
    return OTHER


def summarise(raw: Path) -> collections.Counter[str]:
    """Samples per component from py-spy's raw (collapsed) output: ``frame;frame;... count``."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if stack and number.isdigit():
            counts[classify(stack)] += int(number)
    return counts


async def measure(events: int, rate: int) -> None:
    beside = Path(sys.executable).with_name("py-spy")  # the venv's, when it is not on PATH
    spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy is not installed: pip install py-spy (it is in the dev extra)")
    workdir = Path(tempfile.mkdtemp(prefix="jaring-profile-"))
    raw = workdir / "worker.pyspy.txt"
    recorders: list[subprocess.Popen[bytes]] = []

    def record(pid: int) -> None:
        recorders.append(subprocess.Popen(
            [spy, "record", "--pid", str(pid), "--gil", "--rate", str(rate), "--format", "raw",
             "--output", str(raw), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))

    with KafkaCluster(size=1, workdir=workdir / "kafka") as cluster:
        got = await jaring_throughput(cluster.bootstrap_servers, workdir, events, on_start=record)
    for recorder in recorders:
        recorder.wait(timeout=60)  # py-spy writes its file when the worker exits
    counts = summarise(raw)
    total = sum(counts.values())
    seconds = total / rate
    print(f"worker: {got.inputs:,.0f} input events/s, {got.outputs:,.0f} outputs/s{got.cpu}; "
          f"{seconds:.1f} s of GIL-held samples over the run (start-up and idle included)")
    print("\n| component | share of samples | µs of one core per input event |\n| --- | --- | --- |")
    handled = events + THROUGHPUT_PLEDGES
    for name, count in counts.most_common():
        print(f"| {name} | {count / total:.1%} | {1e6 * seconds * count / total / handled:,.0f} |")
    print(f"\nraw samples: {raw}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000, help="applications to match")
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    args = parser.parse_args()
    asyncio.run(measure(args.events, args.rate))


if __name__ == "__main__":
    main()
