"""Nothing a test starts outlives it: the supervision layer kills what failed to start, and the suite's
end-of-run check (``tests/conftest.py pytest_sessionfinish``) finds and kills what a test left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from deploy.kafka.runner import free_port
from jaring.processes import ServiceProcess
from tests.conftest import Broker
from tests.process_table import Proc, is_jaring, kill_all, names_path, processes, wait_until_none

ROOT = Path(__file__).resolve().parents[2]


class StartInterruptedError(Exception):
    """What pytest-timeout or a Ctrl-C raises in the middle of a fixture's start."""


def _marked(mark: Path) -> list[Proc]:
    return [p for p in processes() if is_jaring(p) and names_path(p, mark)]


@pytest.mark.parametrize("failure", ["not ready in time", "interrupted while waiting"])
def test_a_service_that_fails_to_start_is_killed_alive_or_not(
    kafka: Broker, tmp_path: Path, failure: str
) -> None:
    mark = tmp_path / "mark"
    port = free_port()
    # A real dashboard that serves, asked for readiness where nothing answers: alive, never ready.
    service = ServiceProcess(
        ["dashboard"],
        env={"JARING_KAFKA_BOOTSTRAP": kafka.bootstrap_servers, "JARING_DASHBOARD_PORT": str(port),
             "HYGIENE_TEST_MARK": str(mark / "service")},
        log_path=tmp_path / "dashboard.log",
        ready_url=f"http://127.0.0.1:{free_port()}/healthz",
    )
    seen_alive: list[Proc] = []
    main = threading.get_ident()

    def watch() -> None:
        deadline = time.monotonic() + 60
        while not seen_alive and time.monotonic() < deadline:
            seen_alive.extend(_marked(mark))
            time.sleep(0.05)
        if failure == "interrupted while waiting" and seen_alive:
            signal.pthread_kill(main, signal.SIGUSR1)

    def interrupt(*_: object) -> None:
        raise StartInterruptedError

    previous = signal.signal(signal.SIGUSR1, interrupt)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        if failure == "not ready in time":
            with pytest.raises(TimeoutError, match="service_not_ready"):
                service.start(ready_timeout=5)
        else:
            with pytest.raises(StartInterruptedError):
                service.start(ready_timeout=120)
        watcher.join(60)
        assert seen_alive, "the service never ran: nothing was tested"
        assert service.process is None
        assert not wait_until_none(lambda: _marked(mark), 10)
    finally:
        signal.signal(signal.SIGUSR1, previous)
        service.kill()
        kill_all(_marked(mark))


INNER_CONFTEST = """
# the suite's own check
from tests.conftest import _suite_tmp, pytest_sessionfinish, pytest_testnodedown  # noqa: F401
"""

INNER_TEST = """
import os, subprocess, sys
from pathlib import Path

def api_env(port):
    return {**os.environ, "JARING_KAFKA_BOOTSTRAP": "127.0.0.1:1", "JARING_API_PORT": str(port)}

def test_forgets_to_stop_what_it_started(tmp_path):
    ports = os.environ["LEAK_PORTS"].split(",")
    # A child of this run, its command line and environment free of any path of the run.
    child = subprocess.Popen([sys.executable, "-m", "jaring", "api"], env=api_env(ports[0]),
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    # An orphan: started by a process that exits at once, so init adopts it; only its
    # environment (a data directory in this run's tmp) ties it to the run.
    spawn = ("import subprocess, sys; print(subprocess.Popen([sys.executable, '-m', 'jaring', 'api'], "
             "stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True).pid)")
    orphan = int(subprocess.run([sys.executable, "-c", spawn], check=True, capture_output=True, text=True,
                                env={**api_env(ports[1]), "JARING_DATA_DIR": str(tmp_path / "data")}).stdout)
    Path(os.environ["LEAK_PIDS"]).write_text(f"{child.pid},{orphan}")
    for pid in (child.pid, orphan):
        os.kill(pid, 0)  # both alive when the test ends, passed
"""


@pytest.mark.parametrize("workers", [[], ["-n", "1"]], ids=["one process", "xdist as make test runs it"])
def test_the_suite_fails_a_run_that_leaks_a_process_and_kills_it(tmp_path: Path, workers: list[str]) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    (inner / "conftest.py").write_text(textwrap.dedent(INNER_CONFTEST))
    (inner / "test_leak.py").write_text(textwrap.dedent(INNER_TEST))
    pids_file = tmp_path / "leaked.pids"
    # Another run's process (here: this one's, not the inner run's): alive, a jaring
    # process, but neither descended from the inner run nor naming its tmp.
    bystander = subprocess.Popen(
        [sys.executable, "-m", "jaring", "api"],
        env={**os.environ, "JARING_KAFKA_BOOTSTRAP": "127.0.0.1:1", "JARING_API_PORT": str(free_port())},
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
    )
    leaked: list[int] = []
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *workers,
             f"--basetemp={tmp_path / 'base'}", str(inner)],
            cwd=inner, capture_output=True, text=True, timeout=240, check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT), "LEAK_PIDS": str(pids_file),
                 "LEAK_PORTS": f"{free_port()},{free_port()}"},
        )
        leaked = [int(pid) for pid in pids_file.read_text().split(",")]
        assert "1 passed" in result.stdout, result.stdout + result.stderr
        assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
        assert "process_leak: 2 process(es)" in result.stdout
        for pid in leaked:
            assert f"pid {pid} " in result.stdout
        assert not wait_until_none(lambda: [p for p in processes() if p.pid in leaked], 10)
        assert bystander.poll() is None, "the check killed a process that was not the run's"
    finally:
        bystander.kill()
        bystander.wait(30)
        kill_all(p for p in processes() if p.pid in leaked and is_jaring(p))
