"""Idempotency-Key bookkeeping, after the IETF httpapi idempotency-key draft.

A client that did not hear the answer to a POST retries it with the same
``Idempotency-Key``; it must get the same answer and cause one record. Keys
are scoped per credential subject (a sponsor's key never collides with
another sponsor's). The draft's outcomes:

============================  ====================================================
same key, same body, done     the stored answer again (no second record)
same key, another body        422 ``idempotency_key_reused``
same key, first still running 409 ``idempotency_key_in_flight``
============================  ====================================================

A failed attempt (503: the broker did not acknowledge) is forgotten, so the
retry runs again. Pure and in memory, with the time passed in: after a
restart the answers are gone, but the event id is derived from
(subject, key) (``api.intake``), so a retried pledge is the same event and
the engine drops it as a replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = ["Begin", "IdempotencyStore", "Scope", "StoredAnswer"]


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    body: dict[str, Any]


class Begin(Enum):
    PROCEED = "proceed"
    IN_FLIGHT = "in_flight"
    MISMATCH = "mismatch"
    REPLAY = "replay"


@dataclass
class _Entry:
    fingerprint: str
    started: float
    answer: StoredAnswer | None = None


Scope = tuple[str, str, str]
"""(route, subject, Idempotency-Key)."""


@dataclass
class IdempotencyStore:
    ttl_s: float
    max_entries: int = 200_000
    _entries: dict[Scope, _Entry] = field(default_factory=dict)

    def begin(self, scope: Scope, fingerprint: str, now: float) -> tuple[Begin, StoredAnswer | None]:
        """Claim ``scope`` for a request whose body hashes to ``fingerprint``."""
        self._expire(now)
        entry = self._entries.get(scope)
        if entry is None:
            self._entries[scope] = _Entry(fingerprint, now)
            if len(self._entries) > self.max_entries:
                del self._entries[next(iter(self._entries))]
            return Begin.PROCEED, None
        if entry.fingerprint != fingerprint:
            return Begin.MISMATCH, None
        if entry.answer is None:
            return Begin.IN_FLIGHT, None
        return Begin.REPLAY, entry.answer

    def complete(self, scope: Scope, answer: StoredAnswer) -> None:
        entry = self._entries.get(scope)
        if entry is not None:
            entry.answer = answer

    def abandon(self, scope: Scope) -> None:
        """The attempt failed before the broker acknowledged it: let a retry run again."""
        self._entries.pop(scope, None)

    def _expire(self, now: float) -> None:
        # Insertion order is start order, so expired entries are at the front.
        while self._entries:
            scope, entry = next(iter(self._entries.items()))
            if now - entry.started < self.ttl_s:
                return
            del self._entries[scope]
