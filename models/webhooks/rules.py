"""What a sponsor hears of, when a failed delivery is tried again, and which offsets may be committed.

Pure: the delivery process (``webhooks.deliverer``) passes times in.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from models.events import Event, RegistrationUnmatched
from models.topics import COVERAGE, FUNDING, PLEDGE_STATUS, Topic

__all__ = ["DELIVERED", "CommitTracker", "RetryPolicy", "sponsor_of"]

DELIVERED: tuple[Topic, ...] = (PLEDGE_STATUS, COVERAGE, FUNDING)
"""A sponsor's pledges (accepted, rejected, exhausted, reopened, expired), its seats (committed,
activated, renewed, expired, cancelled, lapsed) and its money (pledged, committed, billed, paid,
arrears, written off, released, returned): every event on these topics that names the sponsor."""


def sponsor_of(event: Event) -> str | None:
    """The sponsor an event is delivered to; None for events about no one sponsor (a payer's account)."""
    if isinstance(event, RegistrationUnmatched):
        return None
    sponsor = getattr(event, "sponsor_id", None)
    return sponsor if isinstance(sponsor, str) else None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``first_s``, doubling up to ``most_s``, for ``give_up_after_s`` from the
    first attempt; then the delivery is parked (kept on the delivery log, replayable)."""

    first_s: float = 1.0
    most_s: float = 600.0
    give_up_after_s: float = 86_400.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1 for the first)."""
        return float(min(self.first_s * 2.0 ** min(attempt - 1, 60), self.most_s))

    def next_attempt(self, attempt: int, first_at: float, now: float) -> float | None:
        """When to try again after failed attempt ``attempt``, or None to park: no attempt is made
        later than ``give_up_after_s`` after the first."""
        at = now + self.delay(attempt)
        return at if at - first_at <= self.give_up_after_s else None


@dataclass
class CommitTracker:
    """Per partition, the offset below which every record is finished (delivered, parked or not for
    anyone): what the consumer group may commit. A record still being retried holds its partition's
    commit back, so a restart delivers it again rather than lose it."""

    _pending: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    _finished: dict[tuple[str, int], set[int]] = field(default_factory=dict)
    _next: dict[tuple[str, int], int] = field(default_factory=dict)
    """One past the highest offset seen per partition."""

    def add(self, tp: tuple[str, int], offset: int) -> None:
        heapq.heappush(self._pending.setdefault(tp, []), offset)
        self._next[tp] = max(self._next.get(tp, 0), offset + 1)

    def done(self, tp: tuple[str, int], offset: int) -> None:
        self._finished.setdefault(tp, set()).add(offset)

    def skip(self, tp: tuple[str, int], offset: int) -> None:
        """A record nobody is to hear of: finished as soon as read."""
        self._next[tp] = max(self._next.get(tp, 0), offset + 1)

    def committable(self) -> dict[tuple[str, int], int]:
        """The offset to commit per partition: the lowest unfinished one, else one past the last read."""
        out: dict[tuple[str, int], int] = {}
        for tp, nxt in self._next.items():
            heap, finished = self._pending.get(tp, []), self._finished.get(tp, set())
            while heap and heap[0] in finished:
                finished.discard(heapq.heappop(heap))
            out[tp] = heap[0] if heap else nxt
        return out
