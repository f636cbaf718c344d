"""Start, stop and kill Jaring's own processes on this machine.

Tests, the demo, benchmarks and chaos runs all need real worker processes
(a SIGKILL must hit a real process for recovery to mean anything), so the
one way to run them lives here. A start that fails in any way (not ready in
time, an exception, an interrupt) kills what it started before raising, and
a child dies with its supervisor if that is killed hard
(``deploy.parent_death``): no caller is left holding a process to clean up.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from deploy.parent_death import die_with_parent

__all__ = ["ServiceProcess", "WorkerProcess"]

_READY_LINE = "[^Worker]: Ready"


class _Supervised:
    """Stop and kill for a child started in its own session (the whole process group goes)."""

    process: subprocess.Popen[bytes] | None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no flush, no commit, no goodbye, as a crashed host."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, then SIGKILL if it has not gone within ``timeout`` seconds."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None


@dataclass
class WorkerProcess(_Supervised):
    """``jaring worker`` as a child process, its output in ``log_path``."""

    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    starts: int = 0

    def start(self, ready_timeout: float = 120.0) -> WorkerProcess:
        env = {**os.environ, **self.env}
        if env.get("JARING_LOG_LEVEL", "info") not in ("info", "debug"):
            # Readiness is Faust's "[^Worker]: Ready" line, logged at info.
            raise ValueError("worker_log_level: a supervised worker needs JARING_LOG_LEVEL info or debug")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jaring", "worker"],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=die_with_parent(),
            )
        self.starts += 1
        try:
            self.wait_ready(ready_timeout)
        except BaseException:
            self.kill()  # never leave a half-started worker behind
            raise
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self._ready_count() < self.starts:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"worker_exited: code {self.process.returncode}; see {self.log_path}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker_not_ready after {timeout:.0f}s; see {self.log_path}")
            time.sleep(0.2)

    def _ready_count(self) -> int:
        try:
            return self.log_path.read_text(errors="replace").count(_READY_LINE)
        except FileNotFoundError:
            return 0


@dataclass
class ServiceProcess(_Supervised):
    """A ``jaring <command>`` service as a child process, ready when ``ready_url`` answers 200.

    For HTTP services (the dashboard): a 200 from their health URL is the
    readiness they define, rather than a line in a log.
    """

    command: list[str]
    env: dict[str, str]
    log_path: Path
    ready_url: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, ready_timeout: float = 60.0) -> ServiceProcess:
        if not self.ready_url.startswith("http://127.0.0.1:"):
            raise ValueError("service_ready_url: readiness is checked on loopback only")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jaring", *self.command],
                env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent(),
            )
        try:
            self.wait_ready(ready_timeout)
        except BaseException:
            self.kill()  # alive but not ready is as bad as dead: never leave it behind
            raise
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise RuntimeError(f"service_exited: code {code}; see {self.log_path}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"service_not_ready after {timeout:.0f}s; see {self.log_path}")
            time.sleep(0.2)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.ready_url, timeout=2) as response:  # noqa: S310 - loopback http only
                return bool(response.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False
