"""What an idle worker costs: CPU of the worker and the broker while no event arrives.

A worker with nothing to do still fetches (each fetch waits at most
``JARING_FETCH_MAX_WAIT_MS`` on the broker), heartbeats and commits; this
prints the CPU share of one core each process uses over a quiet spell, to
weigh a shorter fetch wait (less stall under load) against its idle cost:

    python -m benchmarks.idle                            # the configured wait
    JARING_FETCH_MAX_WAIT_MS=1500 python -m benchmarks.idle
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.e2e import cpu_sample, create_topics, start_worker
from deploy.kafka.runner import KafkaCluster
from infra.settings import Settings


async def measure(settle: float, seconds: float) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="jaring-idle-"))
    with KafkaCluster(size=1, workdir=workdir / "kafka") as cluster:
        create_topics(cluster.bootstrap_servers, "idle")
        worker = start_worker(cluster.bootstrap_servers, "idle", workdir)
        broker = cluster.nodes[0].process
        assert worker.process is not None and broker is not None
        try:
            await asyncio.sleep(settle)  # start-up and the first rebalance are not idle time
            pids = (worker.process.pid, broker.pid)
            before, started = cpu_sample(pids), time.monotonic()
            await asyncio.sleep(seconds)
            after, elapsed = cpu_sample(pids), time.monotonic() - started
        finally:
            worker.stop()
    wait = Settings().fetch_max_wait_ms
    shares = [((a or 0.0) - (b or 0.0)) / elapsed for a, b in zip(after, before, strict=True)]
    print(f"idle for {elapsed:.0f} s, fetch wait {wait} ms: worker {shares[0]:.1%} of a core, "
          f"broker {shares[1]:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--settle", type=float, default=15.0, help="seconds to let the worker start")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds of idle time measured")
    args = parser.parse_args()
    asyncio.run(measure(args.settle, args.seconds))


if __name__ == "__main__":
    main()
