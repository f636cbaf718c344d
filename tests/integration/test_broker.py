"""The project's own Kafka runner, as a user (``jaring broker``) and the reliability tests use it.

Every ``jaring broker`` here runs in its own process group, its output in a
file polled with a deadline (a silent broker never hangs the test), and is
SIGKILLed with any JVM naming its data directory when the test ends, passed
or not. Each test then asserts, from /proc, that no JVM of its data
directory is left: the defect under test is precisely such a leftover.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.kafka.runner import LAYOUT_FILE, KafkaCluster, free_port_pair
from infra.topic_io import read_until
from tests.process_table import Proc, java_under, kill_all, wait_until_none

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

READY = "Kafka ready"


@dataclass
class BrokerRun:
    """One ``jaring broker`` process and the file its output goes to."""

    process: subprocess.Popen[bytes]
    out: Path
    data_dir: Path

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.process.poll() is not None:
                raise AssertionError(f"jaring broker exited {self.process.returncode} before {text!r}:\n"
                                     f"{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} within {timeout:.0f}s:\n{self.output()}")
            time.sleep(0.1)

    def exit_code(self, timeout: float = 90.0) -> int:
        return self.process.wait(timeout)

    def jvms(self) -> list[Proc]:
        """Broker JVMs (and Kafka's storage tool) of this data directory, from /proc."""
        return java_under(self.data_dir)


@contextlib.contextmanager
def jaring_broker(data_dir: Path, port: int, *args: str) -> Iterator[BrokerRun]:
    """Run ``jaring broker`` on ``data_dir``; whatever happens, nothing of it survives the block."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    out = data_dir.parent / f"{data_dir.name}.{time.monotonic_ns()}.out"
    with out.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "jaring", "broker", "--port", str(port), "--data-dir", str(data_dir),
             *args],
            stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    try:
        yield BrokerRun(process, out, data_dir)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
        kill_all(java_under(data_dir))


def no_jvm_left(run: BrokerRun, timeout: float = 0.0) -> list[Proc]:
    return wait_until_none(run.jvms, timeout)


async def test_jaring_broker_restarts_on_its_own_data_dir_and_keeps_what_it_was_given(tmp_path: Path) -> None:
    port, data = free_port_pair(), tmp_path / "kafka"
    bootstrap = f"127.0.0.1:{port}"
    with jaring_broker(data, port) as first:
        first.wait_for(READY)
        assert f"JARING_KAFKA_BOOTSTRAP={bootstrap}" in first.output()
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic("kept", 1, 1)])
        finally:
            await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            await producer.send_and_wait("kept", key=b"k", value=b"still here after a restart")
        finally:
            await producer.stop()

        first.process.send_signal(signal.SIGINT)  # Ctrl-C, after ready
        assert first.exit_code() == 0, first.output()
        assert not no_jvm_left(first)
    assert (data / LAYOUT_FILE).exists()

    # The data directory was made for this port and one node: asking for another shape is
    # refused with a code before anything starts.
    refusals = ((port + 2, "1", "kafka_port_conflict"), (port, "3", "kafka_nodes_conflict"))
    for asked_port, nodes, code in refusals:
        with jaring_broker(data, asked_port, "--nodes", nodes) as refused:
            assert refused.exit_code(60) == 2, refused.output()
            assert code in refused.output()
            assert READY not in refused.output()
            assert not no_jvm_left(refused)

    with jaring_broker(data, port) as second:
        second.wait_for(READY)
        records = await read_until(bootstrap, ["kept"], lambda rs: len(rs) >= 1, timeout=60)
        assert [(r.key, r.value) for r in records] == [(b"k", b"still here after a restart")]
        second.process.send_signal(signal.SIGTERM)
        assert second.exit_code() == 0, second.output()
        assert not no_jvm_left(second)


@pytest.mark.parametrize("case", ["kafka_data_dir_unknown", "kafka_data_dir_unreadable", "kafka_port_in_use"])
def test_a_data_dir_or_port_it_cannot_use_is_refused_with_a_code_and_nothing_left(
    tmp_path: Path, case: str
) -> None:
    data, port = tmp_path / "kafka", free_port_pair()
    if case == "kafka_data_dir_unknown":  # what an earlier Jaring left: data, but no cluster.json
        (data / "node-1" / "data").mkdir(parents=True)
        (data / "node-1" / "data" / "meta.properties").write_text("cluster.id=elsewhere\n")
    elif case == "kafka_data_dir_unreadable":
        data.mkdir()
        (data / LAYOUT_FILE).write_text("{ half written")
    with contextlib.ExitStack() as stack:
        if case == "kafka_port_in_use":
            holder = stack.enter_context(socket.create_server(("127.0.0.1", port)))
            assert holder.getsockname()[1] == port
        with jaring_broker(data, port) as run:
            assert run.exit_code(120) == (1 if case == "kafka_port_in_use" else 2), run.output()
            assert case in run.output()
            assert READY not in run.output()
            assert not no_jvm_left(run)


def _storage_tool_running(run: BrokerRun) -> bool:
    return any("kafka.tools.StorageTool" in p.argv for p in run.jvms())


def _broker_jvm_running(run: BrokerRun) -> bool:
    return any("kafka.Kafka" in p.argv for p in run.jvms())


@pytest.mark.parametrize(
    ("sig", "moment"),
    [(signal.SIGINT, "jvm launched"), (signal.SIGTERM, "jvm launched"), (signal.SIGINT, "formatting")],
    ids=["SIGINT-jvm-launched", "SIGTERM-jvm-launched", "SIGINT-formatting"],
)
def test_a_signal_while_the_broker_starts_stops_everything_it_started(
    tmp_path: Path, sig: signal.Signals, moment: str
) -> None:
    in_window = _broker_jvm_running if moment == "jvm launched" else _storage_tool_running
    with jaring_broker(tmp_path / "kafka", free_port_pair()) as run:
        deadline = time.monotonic() + 120
        while not in_window(run):
            assert run.process.poll() is None, run.output()
            assert time.monotonic() < deadline, f"never saw the broker {moment}:\n{run.output()}"
            time.sleep(0.01)
        assert READY not in run.output()  # the signal lands inside the window, before ready

        run.process.send_signal(sig)
        assert run.exit_code() == 0, run.output()
        assert READY not in run.output()
        assert "stopped before Kafka was ready" in run.output()
        assert not no_jvm_left(run), run.output()


def test_sigkill_of_jaring_broker_takes_its_jvm_along(tmp_path: Path) -> None:
    """No handler runs on SIGKILL: the kernel's parent-death signal is what stops the JVM."""
    with jaring_broker(tmp_path / "kafka", free_port_pair()) as run:
        run.wait_for(READY)
        assert _broker_jvm_running(run)
        run.process.send_signal(signal.SIGKILL)
        assert run.exit_code() == -signal.SIGKILL
        left = no_jvm_left(run, timeout=30)
        assert not left, f"orphaned: {left}"


def test_a_node_that_dies_ends_jaring_broker_with_an_error(tmp_path: Path) -> None:
    with jaring_broker(tmp_path / "kafka", free_port_pair()) as run:
        run.wait_for(READY)
        (jvm,) = [p for p in run.jvms() if "kafka.Kafka" in p.argv]
        os.kill(jvm.pid, signal.SIGKILL)
        assert run.exit_code() == 1, run.output()
        assert "exited; see their logs" in run.output()
        assert not no_jvm_left(run)


def test_a_start_that_fails_stops_the_nodes_it_launched(tmp_path: Path) -> None:
    cluster = KafkaCluster(size=1, workdir=tmp_path / "kafka", ready_timeout=0.5)  # no JVM is ready that soon
    try:
        with pytest.raises(TimeoutError, match="kafka_not_ready"):
            cluster.start()
        assert not java_under(tmp_path / "kafka")
    finally:
        kill_all(java_under(tmp_path / "kafka"))


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
