"""Kafka client errors during an outage: a line per state change and a periodic summary.

While a broker is down, aiokafka logs every failed connect, metadata
refresh, fetch, heartbeat and coordinator lookup, each retried within
milliseconds: a 7-minute outage wrote 16,000 to 29,000 ERROR lines in each of
the API, the worker and the dashboard, and the line that said what happened
drowned. Installed in each of those processes, this module lets the first
warning or error of an outage through, announced as "Kafka unreachable",
counts the rest, writes one summary per ``JARING_KAFKA_LOG_SUMMARY_S``
(60 s) with how many there were, and writes "Kafka reachable again" once a
whole period passes without one. The log grows with the outage's length in
periods, never with the client's retries.

``ErrorThrottle`` is the decision, pure and given the time;
``install`` attaches it, as a ``logging.Filter``, to every logger of the
Kafka client packages. A logger's filters see only records logged to that
very logger, not its children's, so the filter goes on each module's logger
(aiokafka names them after their modules), created here if the module has
not been imported yet. Records below WARNING pass untouched.
"""

from __future__ import annotations

import importlib.util
import logging
import pkgutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

__all__ = [
    "ErrorThrottle",
    "KafkaErrorFilter",
    "Line",
    "ThrottleHandle",
    "install",
    "kafka_logger_names",
]

CLIENT_PACKAGES = ("aiokafka", "kafka")
"""The Kafka client libraries whose loggers are throttled (``kafka`` only if installed)."""

ANNOUNCER = "jaring.kafka"
"""The logger the state changes and summaries are written to (not itself throttled)."""

_LATEST_CHARS = 300


@dataclass(frozen=True)
class Line:
    """A line the throttle adds to the log, at ``level``."""

    level: int
    text: str


@dataclass
class ErrorThrottle:
    """Which Kafka client warnings and errors pass, and which lines stand for the others.

    States: *healthy* until a record arrives; then *unreachable*: that first
    record passes (after a ``kafka_unreachable`` line), the following ones
    are counted, and each ``period_s`` ends with a ``kafka_errors_repeated``
    summary, or, if none came in it, ``kafka_reachable_again`` and back to
    healthy. At most ``2 + ceil(outage / period_s) + 1`` lines per outage.
    """

    period_s: float = 60.0
    _started: float | None = None
    _window_start: float = 0.0
    _last: float = 0.0
    _window: Counter[str] = field(default_factory=Counter)
    _window_level: int = logging.NOTSET
    _episode_level: int = logging.NOTSET
    _suppressed: int = 0
    _latest: str = ""

    @property
    def unreachable(self) -> bool:
        return self._started is not None

    def admit(self, now: float, level: int, source: str, message: str) -> tuple[bool, list[Line]]:
        """One warning-or-worse record from ``source`` (a logger name): pass it or not, and lines to add."""
        lines = self.tick(now)
        self._last = now
        if self._started is None:
            self._started = self._window_start = now
            self._episode_level = level
            lines.append(Line(level, (
                f"kafka_unreachable: the Kafka client reports errors (the first, from {source}, follows); "
                f"repeats are counted and summarised every {self.period_s:g} s until none come for "
                f"{self.period_s:g} s. Check that the brokers in JARING_KAFKA_BOOTSTRAP are up and reachable"
            )))
            return True, lines
        self._window[source] += 1
        self._window_level = max(self._window_level, level)
        self._episode_level = max(self._episode_level, level)
        self._suppressed += 1
        self._latest = f"{source}: {message[:_LATEST_CHARS]}"
        return False, lines

    def tick(self, now: float) -> list[Line]:
        """The summary or the all-clear that is due at ``now`` (nothing between periods)."""
        if self._started is None or now - self._window_start < self.period_s:
            return []
        elapsed = now - self._window_start
        if not self._window:
            line = Line(self._episode_level, (
                f"kafka_reachable_again: no Kafka client error for {now - self._last:.0f} s; the outage "
                f"logged {self._suppressed + 1} in {self._last - self._started:.0f} s "
                f"({self._suppressed} of them summarised)"
            ))
            self._started = None
            self._suppressed, self._window_level, self._episode_level = 0, logging.NOTSET, logging.NOTSET
            return [line]
        count = sum(self._window.values())
        sources = ", ".join(f"{name} {n}" for name, n in self._window.most_common(3))
        line = Line(self._window_level, (
            f"kafka_errors_repeated: {count} similar errors from the Kafka client in the last "
            f"{elapsed:.0f} s ({sources}); latest {self._latest}"
        ))
        self._window_start = now
        self._window.clear()
        self._window_level = logging.NOTSET
        return [line]


class KafkaErrorFilter(logging.Filter):
    """The throttle as a logging filter: thread-safe (Faust's consumer logs from its own thread)."""

    def __init__(
        self,
        throttle: ErrorThrottle,
        clock: Callable[[], float] = time.monotonic,
        announcer: logging.Logger | None = None,
    ) -> None:
        super().__init__()
        self.throttle, self.clock = throttle, clock
        self.announcer = announcer or logging.getLogger(ANNOUNCER)
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record still counts; logging reports it when it formats it
            message = str(record.msg)
        with self._lock:
            passed, lines = self.throttle.admit(self.clock(), record.levelno, record.name, message)
        self._announce(lines)
        return passed

    def tick(self) -> None:
        with self._lock:
            lines = self.throttle.tick(self.clock())
        self._announce(lines)

    def _announce(self, lines: Iterable[Line]) -> None:
        for line in lines:
            self.announcer.log(line.level, line.text)


def kafka_logger_names(packages: Iterable[str] = CLIENT_PACKAGES) -> list[str]:
    """Every module logger name of the installed client packages (aiokafka logs under ``__name__``)."""
    names: list[str] = []
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is None:
            continue
        names.append(package)
        locations = spec.submodule_search_locations or []
        names += [m.name for m in pkgutil.walk_packages(locations, prefix=f"{package}.")]
    return names


@dataclass
class ThrottleHandle:
    """An installed filter and the thread that writes its due summaries; ``uninstall`` undoes both."""

    filter: KafkaErrorFilter
    loggers: list[logging.Logger]
    _stop: threading.Event
    _thread: threading.Thread

    def uninstall(self) -> None:
        global _installed
        self._stop.set()
        self._thread.join(timeout=5)
        for logger in self.loggers:
            logger.removeFilter(self.filter)
        with _install_lock:
            if _installed is self:
                _installed = None


_installed: ThrottleHandle | None = None
_install_lock = threading.Lock()


def install(period_s: float, clock: Callable[[], float] = time.monotonic) -> ThrottleHandle:
    """Throttle the Kafka client's loggers in this process (once: a second call returns the first)."""
    global _installed
    with _install_lock:
        if _installed is not None:
            return _installed
        flt = KafkaErrorFilter(ErrorThrottle(period_s=period_s), clock)
        loggers = [logging.getLogger(name) for name in kafka_logger_names()]
        for logger in loggers:
            logger.addFilter(flt)
        stop = threading.Event()

        def tick_until_stopped() -> None:
            # Summaries and the all-clear are due when no record arrives to carry them.
            while not stop.wait(min(1.0, period_s / 10)):
                flt.tick()

        thread = threading.Thread(target=tick_until_stopped, name="kafka-log-throttle", daemon=True)
        thread.start()
        _installed = ThrottleHandle(flt, loggers, stop, thread)
        return _installed
