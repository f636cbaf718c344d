"""A token bucket per API key: bursts up to a size, then a steady rate.

Pure: the caller passes the time (a monotonic reading), so tests need no
sleeping and the arithmetic is exact. Buckets live in this process; with
several API processes behind a balancer each enforces its own share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["RateLimiter"]


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class RateLimiter:
    rate_per_s: float
    burst: int
    max_keys: int = 100_000
    """Buckets kept; the oldest is forgotten first (a forgotten key starts full, which is safe enough)."""
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def take(self, key: str, now: float) -> float:
        """Spend one token for ``key``: 0.0 if allowed, else the seconds until one is available."""
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.burst), at=now)
        else:
            elapsed = max(0.0, now - bucket.at)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate_per_s)
            bucket.at = now
        self._buckets[key] = bucket  # re-inserted: dict order is least recently used first
        if len(self._buckets) > self.max_keys:
            del self._buckets[next(iter(self._buckets))]
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate_per_s

    @staticmethod
    def retry_after(wait_s: float) -> int:
        """Retry-After is whole seconds; round up so a client that obeys it is let in."""
        return max(1, math.ceil(wait_s))
