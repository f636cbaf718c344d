"""``jaring demo``: a broker, a worker and a scenario, end to end on this machine."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from deploy.kafka.runner import KafkaCluster, free_port
from jaring.processes import WorkerProcess
from jaring.settings import Settings
from jaring.topic_io import Record, read_until, send_all
from models.codec import dumps, loads

__all__ = ["run_demo"]


def _probe_counts(records: list[Record]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        ack = loads(record.value)
        counts[ack["source"]] = max(counts.get(ack["source"], 0), ack["count"])
    return counts


def run_demo(probes: int = 1000, keep_running: bool = False) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="jaring-demo-"))
    with KafkaCluster(size=1, workdir=workdir / "kafka") as cluster:
        bootstrap = cluster.bootstrap_servers
        print(f"Kafka ready at {bootstrap} (logs in {workdir})", flush=True)
        env = {
            "JARING_KAFKA_BOOTSTRAP": bootstrap,
            "JARING_WEB_PORT": str(free_port()),
            "JARING_DATA_DIR": str(workdir / "worker-data"),
        }
        settings = Settings(kafka_bootstrap=bootstrap)
        worker = WorkerProcess(env=env, log_path=workdir / "worker.log")
        started = time.monotonic()
        worker.start()
        print(f"worker ready in {time.monotonic() - started:.1f}s", flush=True)
        try:
            started = time.monotonic()
            sources = [f"kiosk-{seq % 4}" for seq in range(probes)]
            feed = [(s.encode(), dumps({"source": s, "seq": seq})) for seq, s in enumerate(sources)]
            asyncio.run(send_all(bootstrap, settings.topic("probe.v1"), feed))
            records = asyncio.run(
                read_until(
                    bootstrap,
                    [settings.topic("probe-ack.v1")],
                    lambda got: sum(_probe_counts(got).values()) >= probes,
                )
            )
            elapsed = time.monotonic() - started
            counts = _probe_counts(records)
            total = sum(counts.values())
            print(f"sent {probes} probes; the worker counted {total} across {len(counts)} sources "
                  f"in {elapsed:.2f}s ({total / elapsed:.0f} events/s round trip)", flush=True)
            for source, count in sorted(counts.items()):
                print(f"  {source}: {count}", flush=True)
            if keep_running:
                print(f"broker {bootstrap} and worker running; Ctrl-C to stop", flush=True)
                while worker.running:
                    time.sleep(1)
            return 0 if total == probes else 1
        except KeyboardInterrupt:
            return 0
        finally:
            worker.stop()
