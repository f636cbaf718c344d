"""The machine's processes, read from /proc: what a test or the suite started and must not leave behind.

Other test runs share the machine (brokers, workers of their own), so a
process counts as ours only by descent from this pytest process or by a
path of ours in its command line or environment, never by its name alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Proc", "descendants", "environment", "is_broker_jvm", "is_jaring", "java_under", "kill_all",
    "names_path", "processes", "wait_until_none",
]


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    state: str
    argv: tuple[str, ...]

    @property
    def alive(self) -> bool:
        return self.state not in ("Z", "X")  # a zombie has exited; it only waits to be reaped

    def __str__(self) -> str:
        return f"pid {self.pid} (parent {self.ppid}): {' '.join(self.argv)[:400]}"


def processes() -> list[Proc]:
    """Every live process this user may read (those that vanish while being read are skipped)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
            argv = (entry / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
            proc = Proc(int(entry.name), int(ppid), state, tuple(a.decode(errors="replace") for a in argv))
            if proc.alive:
                found.append(proc)
    return found


def environment(pid: int) -> str:
    """The environment ``pid`` started with (NUL-separated), or "" if it cannot be read."""
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def descendants(root: int, table: Iterable[Proc]) -> list[Proc]:
    children: dict[int, list[Proc]] = {}
    for proc in table:
        children.setdefault(proc.ppid, []).append(proc)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child.pid)
    return found


def is_broker_jvm(proc: Proc) -> bool:
    return "kafka.Kafka" in proc.argv


def is_jaring(proc: Proc) -> bool:
    """``python -m jaring ...`` or the ``jaring`` console script."""
    argv = proc.argv
    by_module = any(argv[i:i + 2] == ("-m", "jaring") for i in range(len(argv) - 1))
    return by_module or any(Path(arg).name == "jaring" for arg in argv[:2])


def names_path(proc: Proc, directory: Path) -> bool:
    """Whether ``proc``'s command line or environment names something inside ``directory``."""
    inside = f"{directory}{os.sep}"
    return any(inside in arg or arg == str(directory) for arg in proc.argv) or inside in environment(proc.pid)


def java_under(directory: Path) -> list[Proc]:
    """Java processes (a broker, a Kafka tool) whose command line names a path inside ``directory``."""
    inside = f"{directory}{os.sep}"
    return [p for p in processes()
            if p.argv and Path(p.argv[0]).name == "java" and any(inside in arg for arg in p.argv)]


def kill_all(procs: Iterable[Proc]) -> None:
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)


def wait_until_none(find: Callable[[], list[Proc]], timeout: float) -> list[Proc]:
    """Poll ``find`` until it finds nothing or ``timeout`` passes; return what it found last."""
    deadline = time.monotonic() + timeout
    found = find()
    while found and time.monotonic() < deadline:
        time.sleep(0.1)
        found = find()
    return found
