"""Fail-stop if the region log is ever read with a hole in it.

The region log is written without transactions, so its offsets are
contiguous: every record from the last commit on must reach the matcher,
in order. Faust has skipped records after a restart (``streams.repairs.recovery``
fixes the cause we found), and log retention can delete records a stopped
worker never read. Matching past a hole would change who gets a seat,
irreversibly, so the worker stops instead: the offset commit never passed
the missing records, and a restarted worker replays them from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["EXIT_INPUT_GAP", "Continuity", "Hole"]

EXIT_INPUT_GAP = 70
"""The worker's exit status at a hole (EX_SOFTWARE): an integrity fault, not bad input."""


@dataclass(frozen=True)
class Hole:
    topic: str
    partition: int
    first_missing: int
    delivered: int

    def __str__(self) -> str:
        return (f"input_gap: {self.topic}[{self.partition}] offsets {self.first_missing}.."
                f"{self.delivered - 1} were never delivered to the matcher")


@dataclass
class Continuity:
    """Per input partition, the next offset the matcher must see."""

    _next: dict[tuple[str, int], int] = field(default_factory=dict)

    def forget(self) -> None:
        """Partitions moved: the next event of each sets its own start again."""
        self._next.clear()

    def check(self, topic: str, partition: int, offset: int, committed: int | None) -> Hole | None:
        """The hole before ``offset``, if any; ``committed`` anchors a partition's first event.

        Offsets below the expected one are replays after a crash, which the
        matcher drops by event id, so only a jump forward is a hole.
        """
        key = (topic, partition)
        expected = self._next.get(key, committed)
        self._next[key] = max(offset + 1, self._next.get(key, 0))
        if expected is not None and offset > expected:
            return Hole(topic, partition, expected, offset)
        return None
