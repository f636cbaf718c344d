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

With ``tls`` (certificates from ``deploy.kafka.tls``) each node also listens
for ``SSL`` clients, for ``SSL`` clients that must present a certificate the
CA signed (mutual TLS, the ``MTLS`` listener), and, with ``scram_users`` too,
for ``SASL_SSL``: SCRAM over TLS, the shape a city on a shared cluster uses.
Brokers and controllers keep talking among themselves in plaintext on
loopback; only the clients' listeners are what is under test.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path

from deploy.kafka.tls import Pki
from deploy.parent_death import die_with_parent

__all__ = [
    "KAFKA_VERSION", "LAYOUT_FILE", "KafkaCluster", "KafkaDataDirError", "KafkaNode",
    "KafkaStartCancelledError", "ensure_kafka_jars", "free_port", "free_port_pair",
]

KAFKA_VERSION = "4.3.1"
_POM = Path(__file__).with_name("pom.xml")
_READY_LINE = "Kafka Server started"
LAYOUT_FILE = "cluster.json"
"""In a cluster's ``workdir``: its id and each node's ports, kept so that it restarts as itself."""


class KafkaDataDirError(ValueError):
    """The data directory holds another cluster than asked for, or an unreadable one: nothing started."""


class KafkaStartCancelledError(Exception):
    """``KafkaCluster.start`` was told to give up (``cancel`` set); every node it had launched is stopped."""


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
    ssl_port: int | None = None
    mtls_port: int | None = None
    sasl_ssl_port: int | None = None

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


_LAID_OUT = tuple(f.name for f in fields(KafkaNode) if f.name not in ("workdir", "process"))
"""The node fields ``cluster.json`` keeps: its id and every port it was formatted with."""


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
    tls: Pki | None = None
    """Certificates for the SSL, mutual-TLS and (with ``scram_users``) SASL_SSL listeners."""
    nodes: list[KafkaNode] = field(default_factory=list)
    _own_workdir: bool = False
    _libs: Path | None = None
    _log_marks: dict[int, int] = field(default_factory=dict, repr=False)
    """Per node: the size of its log when it was last launched; readiness is looked for after it."""

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
    def ssl_bootstrap_servers(self) -> str:
        """The SSL listeners (the broker proves who it is; clients need no certificate); only with ``tls``."""
        return self._tls_listeners("ssl_bootstrap_servers", "ssl_port")

    @property
    def mtls_bootstrap_servers(self) -> str:
        """The SSL listeners that refuse a client without a certificate the CA signed; only with ``tls``."""
        return self._tls_listeners("mtls_bootstrap_servers", "mtls_port")

    @property
    def sasl_ssl_bootstrap_servers(self) -> str:
        """The SASL_SSL (SCRAM-SHA-512 over TLS) listeners; only with ``tls`` and ``scram_users``."""
        if not self.scram_users:
            raise ValueError("sasl_ssl_bootstrap_servers: the cluster was made without scram_users")
        return self._tls_listeners("sasl_ssl_bootstrap_servers", "sasl_ssl_port")

    @property
    def replication_factor(self) -> int:
        return self.size

    @property
    def min_insync_replicas(self) -> int:
        return 2 if self.size >= 3 else 1

    def start(self, cancel: threading.Event | None = None) -> KafkaCluster:
        """Launch every node, formatting ``workdir`` the first time, and wait until all serve.

        The cluster id and the nodes' ports are kept in ``workdir/cluster.json``,
        written before formatting, so a later start on the same directory is
        the same cluster on the same ports (:class:`KafkaDataDirError` if it
        was asked for another shape). Whatever ends a start early (an error, a
        node not ready in time, ``cancel`` set by a signal handler) stops every
        node launched so far before the exception leaves: a caller never
        inherits a half-started cluster to clean up.
        """
        try:
            self._libs = ensure_kafka_jars(self.version)
            if not self.nodes:
                self._prepare(cancel)
            for node in self.nodes:
                if not node.running:
                    _check(cancel)
                    if _port_open(node.port):
                        raise RuntimeError(
                            f"kafka_port_in_use: 127.0.0.1:{node.port} (node {node.node_id}) already "
                            f"answers; stop what holds it (a broker on {self.workdir} still running?)"
                        )
                    self._launch(node)
            self.wait_ready(cancel=cancel)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, nodes: list[KafkaNode] | None = None, cancel: threading.Event | None = None) -> None:
        deadline = time.monotonic() + self.ready_timeout
        pause = cancel or threading.Event()
        for node in nodes or self.nodes:
            while not (_port_open(node.port) and self._started(node)):
                if node.process is not None and node.process.poll() is not None:
                    raise RuntimeError(
                        f"kafka_exited: node {node.node_id} stopped with code "
                        f"{node.process.returncode}; see {node.log_path}"
                    )
                if time.monotonic() > deadline:
                    raise TimeoutError(f"kafka_not_ready: node {node.node_id}; see {node.log_path}")
                pause.wait(0.2)
                _check(cancel)

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

    def _tls_ports(self, node: KafkaNode) -> None:
        if self.tls is not None:
            node.ssl_port, node.mtls_port = free_port(), free_port()
            node.sasl_ssl_port = free_port() if self.scram_users else None

    def _tls_listeners(self, name: str, port: str) -> str:
        if self.tls is None:
            raise ValueError(f"{name}: the cluster was made without tls")
        return ",".join(f"127.0.0.1:{getattr(n, port)}" for n in self.nodes)

    def _prepare(self, cancel: threading.Event | None) -> None:
        """The nodes of ``workdir``: those its layout names, or new ones; each formatted once, with one id."""
        assert self.workdir is not None
        layout = self.workdir / LAYOUT_FILE
        if layout.exists():
            cluster_id, self.nodes = self._read_layout(layout)
            fresh = False
        else:
            if any(self.workdir.glob("node-*/data/meta.properties")):
                raise KafkaDataDirError(
                    f"kafka_data_dir_unknown: {self.workdir} holds Kafka data but no {LAYOUT_FILE} "
                    "(made by an older Jaring?); move it away or delete it, or choose another data directory"
                )
            self.nodes = [
                KafkaNode(i + 1, *self._ports(i), self.workdir / f"node-{i + 1}") for i in range(self.size)
            ]
            for node in self.nodes:
                node.sasl_port = free_port() if self.scram_users else None
                self._tls_ports(node)
            cluster_id, fresh = new_cluster_id(), True
            # Written before formatting: a start interrupted half-way formats
            # the rest with the same id next time instead of a new one.
            _write_layout(layout, cluster_id, self.nodes)
        scram = [
            arg for name, password in self.scram_users.items()
            for arg in ("--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]")
        ]
        for node in self.nodes:
            node.workdir.mkdir(parents=True, exist_ok=True)
            if fresh or not node.config_path.exists():
                node.config_path.write_text(self._properties(node))
            if not (node.data_dir / "meta.properties").exists():
                _check(cancel)
                self._java("kafka.tools.StorageTool", "format", "-t", cluster_id,
                           "-c", str(node.config_path), "--ignore-formatted", *scram, log=node.log_path)

    def _read_layout(self, layout: Path) -> tuple[str, list[KafkaNode]]:
        assert self.workdir is not None
        try:
            data = json.loads(layout.read_text())
            cluster_id = str(data["cluster_id"])
            nodes = [
                KafkaNode(**{k: v for k, v in entry.items() if k in _LAID_OUT},
                          workdir=self.workdir / f"node-{entry['node_id']}")
                for entry in data["nodes"]
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise KafkaDataDirError(
                f"kafka_data_dir_unreadable: {layout}: {exc}; restore it, or choose another data directory"
            ) from exc
        if len(nodes) != self.size:
            raise KafkaDataDirError(
                f"kafka_nodes_conflict: {self.workdir} holds a cluster of {len(nodes)} node(s), not "
                f"{self.size}; start it with --nodes {len(nodes)}, or choose another data directory"
            )
        if self.port is not None and nodes[0].port != self.port:
            raise KafkaDataDirError(
                f"kafka_port_conflict: {self.workdir} was made for port {nodes[0].port}, not {self.port}; "
                f"start it with --port {nodes[0].port}, or choose another data directory"
            )
        return cluster_id, nodes

    def _started(self, node: KafkaNode) -> bool:
        # Only what this launch appended counts: the log holds every earlier
        # life of the node, some of which may have ended before being ready.
        with contextlib.suppress(FileNotFoundError), node.log_path.open("rb") as log:
            log.seek(self._log_marks.get(node.node_id, 0))
            return _READY_LINE.encode() in log.read()
        return False

    def _launch(self, node: KafkaNode) -> None:
        node.workdir.mkdir(parents=True, exist_ok=True)
        with node.log_path.open("ab") as log:
            self._log_marks[node.node_id] = log.tell()
            node.process = subprocess.Popen(
                self._java_cmd("kafka.Kafka", str(node.config_path)),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=die_with_parent(),
            )

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
        # Its own session: a terminal's Ctrl-C is for the supervisor, which
        # lets a format finish rather than leave a half-written directory.
        with log.open("ab") as out:
            subprocess.run(self._java_cmd(main, *args), stdout=out, stderr=subprocess.STDOUT, check=True,
                           stdin=subprocess.DEVNULL, start_new_session=True)

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
        if self.tls is not None:
            props.update(self._tls_properties(node, props))
        return "".join(f"{k}={v}\n" for k, v in props.items())

    def _tls_properties(self, node: KafkaNode, props: dict[str, object]) -> dict[str, object]:
        """The TLS listeners: one certificate (a PEM keystore) for all, the CA as truststore for clients'."""
        assert self.tls is not None
        listeners = [f"SSL://127.0.0.1:{node.ssl_port}", f"MTLS://127.0.0.1:{node.mtls_port}"]
        protocols = ["SSL:SSL", "MTLS:SSL"]
        tls: dict[str, object] = {
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(self.tls.broker),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.tls.ca),
            "listener.name.mtls.ssl.client.auth": "required",
        }
        if node.sasl_ssl_port is not None:
            listeners.append(f"SASL_SSL://127.0.0.1:{node.sasl_ssl_port}")
            protocols.append("SASL_SSL:SASL_SSL")
            tls["sasl.enabled.mechanisms"] = "SCRAM-SHA-512"
            tls["listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config"] = (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            )
        return {
            "listeners": ",".join([str(props["listeners"]), *listeners]),
            "advertised.listeners": ",".join([str(props["advertised.listeners"]), *listeners]),
            "listener.security.protocol.map": ",".join(
                [str(props["listener.security.protocol.map"]), *protocols]
            ),
            **tls,
        }


def new_cluster_id() -> str:
    """A random KRaft cluster id that the storage tool's argument parser accepts.

    Kafka's own ``Uuid.randomUuid()`` redraws ids whose base64 form starts with
    ``-``: the parser would read such an id as an option and refuse to format.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise KafkaStartCancelledError("kafka_start_cancelled: asked to stop before every node was ready")


def _write_layout(path: Path, cluster_id: str, nodes: list[KafkaNode]) -> None:
    data = {"cluster_id": cluster_id, "nodes": [{k: getattr(n, k) for k in _LAID_OUT} for n in nodes]}
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2) + "\n")
    partial.replace(path)
