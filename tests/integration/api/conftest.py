"""A real sponsor API on a loopback port, with keys for two sponsors and an officer.

``api_factory`` runs the app under uvicorn in a thread of the test process
(its metrics registry stays in reach), on fixed clocks: receipts are stamped
``RECEIVED`` and the rate limiter's time moves only when a test advances
``RunningApi.clock``. ``api_process_factory`` runs ``jaring api`` as a child
process, for the tests that prove the command itself. Both stop everything
they started in a ``finally``, a start that failed included.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from prometheus_client import CollectorRegistry

from api.app import create_app
from api.keys import KeyFile, Role, issue
from deploy.kafka.runner import free_port
from infra.settings import Settings
from jaring.processes import ServiceProcess

RECEIVED = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
"""The in-thread API's receipt time: the same month as every date the tests send."""


@dataclass(frozen=True)
class Keys:
    file: Path
    sponsor_a: str
    sponsor_b: str
    officer: str


def auth(key: str, idempotency_key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {key}"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return headers


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    file = KeyFile(tmp_path / "api-keys.json")
    made = {}
    for name, role, subject in (
        ("sponsor_a", Role.SPONSOR, "dealer-kendari"),
        ("sponsor_b", Role.SPONSOR, "bank-sultra"),
        ("officer", Role.OFFICER, "kendari-desk-1"),
    ):
        key, record = issue(role, subject, RECEIVED)
        file.add(record)
        made[name] = key
    return Keys(file=file.path, **made)


@dataclass
class ManualClock:
    """A monotonic clock that moves only when a test says so."""

    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class RunningApi:
    url: str
    registry: CollectorRegistry
    settings: Settings
    clock: ManualClock
    server: uvicorn.Server
    thread: threading.Thread = field(repr=False)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=30.0)

    def stop(self) -> None:
        """Shut the server down (its producer and reader stop with it); returns once it has."""
        self.server.should_exit = True
        self.thread.join(timeout=30)
        if self.thread.is_alive():
            raise RuntimeError(f"api_not_stopped: the server at {self.url} is still running after 30 s")


def wait_ready(url: str, timeout: float = 60.0, alive: Callable[[], bool] = lambda: True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            if httpx.get(f"{url}/readyz", timeout=5.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"api_not_ready at {url} within {timeout:.0f}s")


ApiFactory = Callable[..., RunningApi]


@pytest.fixture
def api_factory(keys: Keys) -> Iterator[ApiFactory]:
    """Start the API for ``settings`` (plus overrides) under uvicorn in a thread; stopped at the end."""
    running: list[RunningApi] = []
    sockets: list[socket.socket] = []

    def start(settings: Settings, ready: bool = True, **overrides: Any) -> RunningApi:
        # The server gets a socket already bound: a port merely found free could be taken by
        # another process before uvicorn binds it, and the test would then talk to that one.
        sock = socket.create_server(("127.0.0.1", 0))
        sockets.append(sock)
        port = sock.getsockname()[1]
        settings = settings.model_copy(
            update={"api_keys_file": str(keys.file), "api_port": port, **overrides}
        )
        registry, clock = CollectorRegistry(), ManualClock()
        config = uvicorn.Config(
            create_app(settings, registry=registry, now=lambda: RECEIVED, monotonic=clock),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"api-{port}", daemon=True
        )
        api = RunningApi(f"http://127.0.0.1:{port}", registry, settings, clock, server, thread)
        running.append(api)  # before it starts: a start that fails is stopped below all the same
        thread.start()
        if ready:
            wait_ready(api.url, alive=thread.is_alive)
        return api

    try:
        yield start
    finally:
        for api in running:
            api.server.should_exit = True
        for api in running:
            api.thread.join(timeout=30)
        for sock in sockets:
            sock.close()


@pytest.fixture
def api(api_factory: ApiFactory, settings: Settings) -> RunningApi:
    return api_factory(settings)


ApiProcessFactory = Callable[..., ServiceProcess]


@pytest.fixture
def api_process_factory(
    settings: Settings, keys: Keys, tmp_path: Path
) -> Iterator[ApiProcessFactory]:
    """Start ``jaring api`` child processes (ready when ``/readyz`` answers 200); all stopped at the end.

    Each is registered before it starts, so one alive but never ready, or one whose start
    failed any other way, is stopped here even if ``ServiceProcess.start`` did not stop it.
    """
    started: list[ServiceProcess] = []

    def start(ready_timeout: float = 60.0, **env: str) -> ServiceProcess:
        port = free_port()
        service = ServiceProcess(
            ["api"],
            env={
                "JARING_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
                "JARING_NAMESPACE": settings.namespace,
                "JARING_TOPIC_PARTITIONS": str(settings.topic_partitions),
                "JARING_API_KEYS_FILE": str(keys.file),
                "JARING_API_PORT": str(port),
                **env,
            },
            log_path=tmp_path / f"api-{len(started)}.log",
            ready_url=f"http://127.0.0.1:{port}/readyz",
        )
        started.append(service)
        return service.start(ready_timeout=ready_timeout)

    try:
        yield start
    finally:
        for service in started:
            service.stop()


def base_url(service: ServiceProcess) -> str:
    """The root URL of a service started by ``api_process_factory``."""
    return service.ready_url.removesuffix("/readyz")
