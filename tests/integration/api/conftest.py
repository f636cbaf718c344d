"""A real sponsor API on a loopback port, with keys for two sponsors and an officer.

``api_server`` runs the app under uvicorn in a thread of the test process
(its metrics registry stays in reach); ``ApiProcess`` runs ``jaring api``
as a child process, for the test that proves the command itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
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
from jaring.settings import Settings


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
        key, record = issue(role, subject, datetime.now(UTC))
        file.add(record)
        made[name] = key
    return Keys(file=file.path, **made)


@dataclass
class RunningApi:
    url: str
    registry: CollectorRegistry
    settings: Settings
    server: uvicorn.Server
    thread: threading.Thread = field(repr=False)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=30.0)


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

    def start(settings: Settings, ready: bool = True, **overrides: Any) -> RunningApi:
        port = free_port()
        settings = settings.model_copy(
            update={"api_keys_file": str(keys.file), "api_port": port, **overrides}
        )
        registry = CollectorRegistry()
        config = uvicorn.Config(
            create_app(settings, registry=registry),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name=f"api-{port}", daemon=True)
        thread.start()
        api = RunningApi(f"http://127.0.0.1:{port}", registry, settings, server, thread)
        running.append(api)
        if ready:
            wait_ready(api.url)
        return api

    yield start
    for api in running:
        api.server.should_exit = True
        api.thread.join(timeout=15)


@pytest.fixture
def api(api_factory: ApiFactory, settings: Settings) -> RunningApi:
    return api_factory(settings)


@dataclass
class ApiProcess:
    """``jaring api`` as a child process, its output in ``log_path``."""

    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['JARING_API_PORT']}"

    def start(self) -> ApiProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jaring", "api"],
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        wait_ready(self.url, alive=lambda: self.process is not None and self.process.poll() is None)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
