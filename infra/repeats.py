"""Which output events a topic reader has already folded, in memory bounded by a window of months.

Delivery is at-least-once: after a crash the engine re-emits a batch with the
same event ids (ARCHITECTURE.md, "No output is lost, none is
double-counted"), so a reader drops an id it has seen. Keeping every id ever
seen costs about 100 bytes an event, forever, and grows with every close.

What bounds it is the engine's clock. Every output is stamped with its
region's month (``period``), and a region is handled serially: its outputs
are written in month order (the close of X is stamped X, and everything
after it X+1). Kafka keeps that order only within a partition, so a stream
is one record key of one topic (``models.topics.route``: a region's, or a
pledge's on ``pledge-status.v1``; two pledges' records are in no order
relative to each other). On one stream a month older than the latest one
seen can only be a re-emission, and a repeat of a recent month comes within
the window of months kept. The guarantee: **an output is folded once,
holding only the ids of the latest ``months`` months of each (topic, key)
stream**; anything older than that on its stream is a repeat (``stale``
counts them, for operators). Re-emission happens within one batch of the
engine, so even a window of one month would do; two cover a batch that
straddles a close.

Events without a month (inputs: a pledge submission) are few and kept
exactly, forever.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from models.periods import period_index
from models.topics import route

__all__ = ["RecentIds"]


@dataclass(slots=True)
class _Stream:
    latest: int
    ids: dict[int, set[str]] = field(default_factory=dict)
    """Month index -> the ids seen in it, for the window's months only."""


class RecentIds:
    """``first(event)``: True the first time an event is met (and remembers it), False for a repeat."""

    def __init__(self, months: int = 2, stream: Callable[[Any], Hashable] = route) -> None:
        """``stream``: what Kafka keeps in order, an event's (topic, record key)."""
        if months < 1:
            raise ValueError("a window of repeats needs at least one month")
        self.months = months
        self._stream = stream
        self._streams: dict[Hashable, _Stream] = {}
        self._timeless: set[str] = set()
        self.stale = 0
        """Events dropped for being older than their stream's window: repeats by the engine's clock."""

    def first(self, event: object) -> bool:
        event_id: str = event.event_id  # type: ignore[attr-defined]
        period: str | None = getattr(event, "period", None)
        if not period:
            if event_id in self._timeless:
                return False
            self._timeless.add(event_id)
            return True
        month = period_index(period)
        key = self._stream(event)
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream(month)
        elif month > stream.latest:
            stream.latest = month
            for old in [m for m in stream.ids if m <= month - self.months]:
                del stream.ids[old]
        elif month <= stream.latest - self.months:
            self.stale += 1
            return False
        seen = stream.ids.setdefault(month, set())
        if event_id in seen:
            return False
        seen.add(event_id)
        return True

    def __len__(self) -> int:
        """Ids held."""
        return len(self._timeless) + sum(len(s) for st in self._streams.values() for s in st.ids.values())


class NothingSeen(set[str]):
    """The ``seen`` set of a fold whose reader drops repeats itself (``models.pledge_book.PledgeBooks``
    takes one): it holds nothing and has seen nothing, so ids are held once, in the reader's window."""

    def __contains__(self, _item: object) -> bool:
        return False

    def add(self, _item: str) -> None:
        return None
