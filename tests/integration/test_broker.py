"""The project's own Kafka runner, as a user and the reliability tests use it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.kafka.runner import KafkaCluster, free_port_pair
from jaring.topic_io import read_until

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_jaring_broker_serves_until_interrupted_then_stops_cleanly(tmp_path: Path) -> None:
    port = free_port_pair()
    with subprocess.Popen(
        [sys.executable, "-m", "jaring", "broker", "--port", str(port), "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as proc:
        assert proc.stdout is not None
        lines = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Kafka ready" in line:
                break
        assert f"JARING_KAFKA_BOOTSTRAP=127.0.0.1:{port}" in "".join(lines)
        assert (tmp_path / "node-1" / "broker.log").exists()

        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0


async def test_three_node_cluster_keeps_accepting_writes_with_a_node_down(tmp_path: Path) -> None:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        pytest.skip("uses its own three-node cluster")
    with KafkaCluster(size=3, workdir=tmp_path) as cluster:
        bootstrap = cluster.bootstrap_servers
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        await admin.create_topics([NewTopic("replicated", 3, 3, topic_configs={"min.insync.replicas": "2"})])
        described = await admin.describe_topics(["replicated"])
        await admin.close()
        assert all(len(p["replicas"]) == 3 for p in described[0]["partitions"])

        cluster.kill_node(2)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        for n in range(30):
            await producer.send_and_wait("replicated", key=str(n).encode(), value=b"x")
        await producer.stop()
        cluster.restart_node(2)

        records = await read_until(bootstrap, ["replicated"], lambda rs: len(rs) >= 30, timeout=60)
        assert len(records) == 30
