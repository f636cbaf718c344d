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

Bounded, and never by forgetting a key inside its window: forgetting one
early would turn the retry of a changed body into a second record instead
of a 422. What a hostile or broken client can fill is capped instead, and a
new key over a cap is refused before anything is produced:

- per subject, ``max_keys_per_subject`` keys and ``max_bytes_per_subject``
  bytes (its keys, fingerprints and stored answers: an upload's answer lists
  every row) inside the window: over either, ``Begin.SUBJECT_FULL`` (429
  ``idempotency_keys_exhausted``), for that subject only, until its oldest
  key expires;
- for the whole store, ``max_entries`` keys and ``max_bytes`` bytes: over
  either, ``Begin.STORE_FULL`` (503 ``idempotency_store_full``), until the
  oldest key expires. It takes many subjects at their own caps to get there.

Retries of keys already held are always answered (replay, 409, 422): a cap
refuses only new keys. A byte cap can be passed by what the requests in
flight add when they complete (their answers are sized then), at most one
answer each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from models.codec import dumps

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
    SUBJECT_FULL = "subject_full"
    """A new key from a subject already holding its share of keys or bytes in the window."""
    STORE_FULL = "store_full"
    """A new key while the whole store holds its keys or bytes."""


_ENTRY_OVERHEAD = 200
"""Bytes an entry costs besides its strings and its answer: the entry, its tuple, two dict slots."""


@dataclass(slots=True)
class _Entry:
    fingerprint: str
    started: float
    size: int
    answer: StoredAnswer | None = None


@dataclass(slots=True)
class _Subject:
    keys: dict[Scope, None] = field(default_factory=dict)
    """This subject's live scopes, oldest first (insertion order is start order)."""
    size: int = 0


Scope = tuple[str, str, str]
"""(route, subject, Idempotency-Key)."""


@dataclass
class IdempotencyStore:
    ttl_s: float
    max_entries: int = 200_000
    max_bytes: int = 256 * 2**20
    max_keys_per_subject: int = 20_000
    max_bytes_per_subject: int = 32 * 2**20
    _entries: dict[Scope, _Entry] = field(default_factory=dict)
    _subjects: dict[str, _Subject] = field(default_factory=dict)
    _size: int = 0

    def begin(self, scope: Scope, fingerprint: str, now: float) -> tuple[Begin, StoredAnswer | None]:
        """Claim ``scope`` for a request whose body hashes to ``fingerprint``."""
        self._expire(now)
        entry = self._entries.get(scope)
        if entry is None:
            subject = self._subjects.get(scope[1])
            if subject is not None and (len(subject.keys) >= self.max_keys_per_subject
                                        or subject.size >= self.max_bytes_per_subject):
                return Begin.SUBJECT_FULL, None
            if len(self._entries) >= self.max_entries or self._size >= self.max_bytes:
                return Begin.STORE_FULL, None
            if subject is None:
                subject = self._subjects[scope[1]] = _Subject()
            size = _ENTRY_OVERHEAD + sum(len(part) for part in scope) + len(fingerprint)
            self._entries[scope] = _Entry(fingerprint, now, size)
            subject.keys[scope] = None
            self._grow(subject, size)
            return Begin.PROCEED, None
        if entry.fingerprint != fingerprint:
            return Begin.MISMATCH, None
        if entry.answer is None:
            return Begin.IN_FLIGHT, None
        return Begin.REPLAY, entry.answer

    def complete(self, scope: Scope, answer: StoredAnswer) -> None:
        entry = self._entries.get(scope)
        if entry is not None and entry.answer is None:
            entry.answer = answer
            grown = len(dumps(answer.body))
            entry.size += grown
            self._grow(self._subjects[scope[1]], grown)

    def abandon(self, scope: Scope) -> None:
        """The attempt failed before the broker acknowledged it: let a retry run again."""
        self._forget(scope)

    def retry_after(self, scope: Scope, now: float) -> float:
        """Seconds until the cap that refused ``scope`` frees a key: the subject's oldest key expires
        (``SUBJECT_FULL``), or the store's (``STORE_FULL``)."""
        subject = self._subjects.get(scope[1])
        full = subject is not None and (len(subject.keys) >= self.max_keys_per_subject
                                        or subject.size >= self.max_bytes_per_subject)
        keys = subject.keys if full and subject is not None else self._entries
        oldest = self._entries[next(iter(keys))].started if keys else now
        return max(0.0, oldest + self.ttl_s - now)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes held, as the caps count them."""
        return self._size

    def _grow(self, subject: _Subject, size: int) -> None:
        subject.size += size
        self._size += size

    def _forget(self, scope: Scope) -> None:
        entry = self._entries.pop(scope, None)
        if entry is None:
            return
        subject = self._subjects[scope[1]]
        del subject.keys[scope]
        self._grow(subject, -entry.size)
        if not subject.keys:
            del self._subjects[scope[1]]

    def _expire(self, now: float) -> None:
        # Insertion order is start order, so expired entries are at the front.
        while self._entries:
            scope, entry = next(iter(self._entries.items()))
            if now - entry.started < self.ttl_s:
                return
            self._forget(scope)
