"""Run Apache Kafka in KRaft mode on loopback from Maven Central jars.

Why not the release tarball or Docker: this project's machines reach Maven
Central but no other download site, and run no Docker engine. The broker's
jars are resolved once by Maven (``pom.xml`` beside this file) into a cache
outside the checkout, so a second run or a fresh clone downloads nothing.

One node runs as a combined broker+controller; three nodes form a controller
quorum with replication factor 3 and ``min.insync.replicas=2``, the shape the
reliability tests need. Ports are chosen before formatting because the
controller quorum names them.

With ``scram_users`` each node also listens for ``SASL_PLAINTEXT`` clients
that authenticate with SCRAM-SHA-512, the mechanism a managed cluster
typically asks for; the users are written into the metadata log at format
time (``kafka-storage format --add-scram``), so they exist before the first
start and no client ever needs the plaintext listener to create them.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["KAFKA_VERSION", "KafkaCluster", "KafkaNode", "ensure_kafka_jars", "free_port", "free_port_pair"]

KAFKA_VERSION = "4.3.1"
_POM = Path(__file__).with_name("pom.xml")
_READY_LINE = "Kafka Server started"


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("JARING_KAFKA_CACHE", str(Path(base) / "jaring" / "kafka")))


def ensure_kafka_jars(version: str = KAFKA_VERSION) -> Path:
    """Return the directory of the broker's jars, resolving them with Maven once."""
    libs = _cache_root() / version / "libs"
    marker = libs / ".complete"
    if marker.exists():
        return libs
    if shutil.which("mvn") is None:
        raise RuntimeError("maven_missing: install Maven (mvn) to fetch the Kafka broker jars")
    staging = libs.with_name("libs.partial")
    shutil.rmtree(staging, ignore_errors=True)
    cmd = [
        "mvn", "-q", "-B", "-f", str(_POM),
        f"-Dkafka.version={version}",
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={staging}",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"maven_failed: could not fetch Kafka {version}:\n{result.stdout}{result.stderr}")
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)
    marker.write_text(version)
    return libs


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_pair() -> int:
    """A port whose successor is free too: a node's client and controller ports."""
    for _ in range(100):
        port = free_port()
        if port < 65535:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return port
    raise RuntimeError("no two adjacent free ports on 127.0.0.1")


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class KafkaNode:
    """One broker+controller process; restartable with its data intact."""

    node_id: int
    port: int
    controller_port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    sasl_port: int | None = None

    @property
    def config_path(self) -> Path:
        return self.workdir / "server.properties"

    @property
    def log_path(self) -> Path:
        return self.workdir / "broker.log"

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class KafkaCluster:
    """A KRaft cluster of ``size`` combined nodes on 127.0.0.1.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    size: int = 1
    workdir: Path | None = None
    version: str = KAFKA_VERSION
    heap: str = "512m"
    partitions: int = 4
    ready_timeout: float = 90.0
    port: int | None = None
    scram_users: dict[str, str] = field(default_factory=dict)
    """SCRAM-SHA-512 users (name: password) accepted on each node's SASL_PLAINTEXT listener."""
    nodes: list[KafkaNode] = field(default_factory=list)
    _own_workdir: bool = False
    _libs: Path | None = None

    def __post_init__(self) -> None:
        if self.size not in (1, 3):
            raise ValueError("size must be 1 (combined node) or 3 (quorum of three)")
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="jaring-kafka-"))
            self._own_workdir = True
        self.workdir.mkdir(parents=True, exist_ok=True)

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    @property
    def sasl_bootstrap_servers(self) -> str:
        """The SASL_PLAINTEXT (SCRAM-SHA-512) listeners; only with ``scram_users``."""
        if not self.scram_users:
            raise ValueError("sasl_bootstrap_servers: the cluster was made without scram_users")
        return ",".join(f"127.0.0.1:{n.sasl_port}" for n in self.nodes)

    @property
    def replication_factor(self) -> int:
        return self.size

    @property
    def min_insync_replicas(self) -> int:
        return 2 if self.size >= 3 else 1

    def start(self) -> KafkaCluster:
        self._libs = ensure_kafka_jars(self.version)
        assert self.workdir is not None
        if not self.nodes:
            self.nodes = [
                KafkaNode(i + 1, *self._ports(i), self.workdir / f"node-{i + 1}") for i in range(self.size)
            ]
            cluster_id = new_cluster_id()
            scram = [
                arg for name, password in self.scram_users.items()
                for arg in ("--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]")
            ]
            for node in self.nodes:
                node.sasl_port = free_port() if self.scram_users else None
                node.workdir.mkdir(parents=True, exist_ok=True)
                node.config_path.write_text(self._properties(node))
                self._java("kafka.tools.StorageTool", "format", "-t", cluster_id,
                           "-c", str(node.config_path), "--ignore-formatted", *scram, log=node.log_path)
        for node in self.nodes:
            if not node.running:
                self._launch(node)
        self.wait_ready()
        return self

    def wait_ready(self, nodes: list[KafkaNode] | None = None) -> None:
        deadline = time.monotonic() + self.ready_timeout
        for node in nodes or self.nodes:
            while not (_port_open(node.port) and self._started(node)):
                if node.process is not None and node.process.poll() is not None:
                    raise RuntimeError(
                        f"kafka_exited: node {node.node_id} stopped with code "
                        f"{node.process.returncode}; see {node.log_path}"
                    )
                if time.monotonic() > deadline:
                    raise TimeoutError(f"kafka_not_ready: node {node.node_id}; see {node.log_path}")
                time.sleep(0.2)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every node at once: one at a time, the last ones wait on a lost quorum."""
        live = [n for n in self.nodes if n.process is not None and n.process.poll() is None]
        for node in live:
            assert node.process is not None
            node.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for node in live:
            assert node.process is not None
            try:
                node.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait()
        for node in self.nodes:
            node.process = None
        if self._own_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def stop_node(self, node_id: int, timeout: float = 30.0) -> None:
        """Controlled shutdown (SIGTERM), then SIGKILL if it hangs."""
        node = self._node(node_id)
        if node.process is None:
            return
        if node.process.poll() is None:
            node.process.send_signal(signal.SIGTERM)
            try:
                node.process.wait(timeout)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait()
        node.process = None

    def kill_node(self, node_id: int) -> None:
        """Hard kill (SIGKILL), as a crashed machine would stop."""
        node = self._node(node_id)
        if node.process is not None and node.process.poll() is None:
            node.process.kill()
            node.process.wait()
        node.process = None

    def restart_node(self, node_id: int) -> None:
        node = self._node(node_id)
        if node.running:
            self.stop_node(node_id)
        self._launch(node)
        self.wait_ready([node])

    def tool(self, main: str, *args: str, timeout: float = 900.0) -> str:
        """Run one of Kafka's own command-line tools (e.g. ``org.apache.kafka.tools.ProducerPerformance``)."""
        if self._libs is None:
            self._libs = ensure_kafka_jars(self.version)
        result = subprocess.run(self._java_cmd(main, *args), capture_output=True, text=True, timeout=timeout,
                                check=False)
        if result.returncode != 0:
            raise RuntimeError(f"kafka_tool_failed: {main}: {result.stderr[-2000:]}")
        return result.stdout

    def __enter__(self) -> KafkaCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _node(self, node_id: int) -> KafkaNode:
        for node in self.nodes:
            if node.node_id == node_id:
                return node
        raise KeyError(node_id)

    def _ports(self, index: int) -> tuple[int, int]:
        """Client and controller port of node ``index``: fixed from ``port`` up, or free ones."""
        if self.port is None:
            return free_port(), free_port()
        return self.port + 2 * index, self.port + 2 * index + 1

    def _started(self, node: KafkaNode) -> bool:
        # The marker is counted, not searched, so that a restarted node is not
        # taken as ready on the strength of its previous life's line.
        with contextlib.suppress(FileNotFoundError):
            return node.log_path.read_text(errors="replace").count(_READY_LINE) >= node_starts(node)
        return False

    def _launch(self, node: KafkaNode) -> None:
        node.workdir.joinpath(".starts").write_text(str(node_starts(node) + 1))
        log = node.log_path.open("ab")
        node.process = subprocess.Popen(
            self._java_cmd("kafka.Kafka", str(node.config_path)),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()

    def _java_cmd(self, main: str, *args: str) -> list[str]:
        assert self._libs is not None
        return [
            os.environ.get("JAVA", "java"),
            "-Xms256m", f"-Xmx{self.heap}",
            "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-cp", f"{self._libs}/*",
            main, *args,
        ]

    def _java(self, main: str, *args: str, log: Path) -> None:
        with log.open("ab") as out:
            subprocess.run(self._java_cmd(main, *args), stdout=out, stderr=subprocess.STDOUT, check=True)

    def _properties(self, node: KafkaNode) -> str:
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        rf = self.replication_factor
        props = {
            "process.roles": "broker,controller",
            "node.id": node.node_id,
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(node.data_dir),
            "num.partitions": self.partitions,
            "default.replication.factor": rf,
            "min.insync.replicas": self.min_insync_replicas,
            "offsets.topic.replication.factor": rf,
            "offsets.topic.num.partitions": 8,
            "transaction.state.log.replication.factor": rf,
            "transaction.state.log.min.isr": self.min_insync_replicas,
            "transaction.state.log.num.partitions": 8,
            "share.coordinator.state.topic.replication.factor": rf,
            "share.coordinator.state.topic.min.isr": self.min_insync_replicas,
            "unclean.leader.election.enable": "false",
            # Without this every new consumer group waits 3 s before its first
            # assignment, which is most of a test's run time.
            "group.initial.rebalance.delay.ms": 0,
            # Topics are declared by the worker with their partition counts; an
            # auto-created topic gets the broker default and breaks co-partitioning.
            "auto.create.topics.enable": "false",
            "log.segment.bytes": 64 * 1024 * 1024,
            "num.network.threads": 2,
            "num.io.threads": 4,
        }
        if node.sasl_port is not None:
            sasl = f"SASL_PLAINTEXT://127.0.0.1:{node.sasl_port}"
            props["listeners"] = f"{props['listeners']},{sasl}"
            props["advertised.listeners"] = f"{props['advertised.listeners']},{sasl}"
            props["listener.security.protocol.map"] = (
                f"{props['listener.security.protocol.map']},SASL_PLAINTEXT:SASL_PLAINTEXT"
            )
            props["sasl.enabled.mechanisms"] = "SCRAM-SHA-512"
            props["listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config"] = (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            )
        return "".join(f"{k}={v}\n" for k, v in props.items())


def new_cluster_id() -> str:
    """A random KRaft cluster id that the storage tool's argument parser accepts.

    Kafka's own ``Uuid.randomUuid()`` redraws ids whose base64 form starts with
    ``-``: the parser would read such an id as an option and refuse to format.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def node_starts(node: KafkaNode) -> int:
    with contextlib.suppress(FileNotFoundError, ValueError):
        return int(node.workdir.joinpath(".starts").read_text())
    return 0
