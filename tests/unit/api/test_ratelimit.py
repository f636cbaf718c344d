"""The token bucket: a burst, then a steady rate, per key or client address, with the time passed in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from api.auth import client_bucket
from api.ratelimit import RateLimiter


def test_a_key_spends_its_burst_then_waits_for_the_refill() -> None:
    limiter = RateLimiter(rate_per_s=2.0, burst=3)
    assert [limiter.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a", 0.0) == 0.5
    assert limiter.take("a", 0.5) == 0.0


def test_keys_have_their_own_buckets() -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=1)
    assert limiter.take("a", 0.0) == 0.0
    assert limiter.take("a", 0.0) > 0
    assert limiter.take("b", 0.0) == 0.0


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    assert [RateLimiter.retry_after(w) for w in (0.01, 1.0, 1.2)] == [1, 1, 2]


@given(st.lists(st.floats(min_value=0, max_value=0.5), min_size=1, max_size=200))
def test_no_key_ever_gets_more_than_burst_plus_rate_times_elapsed(gaps: list[float]) -> None:
    limiter = RateLimiter(rate_per_s=4.0, burst=5)
    now, allowed = 0.0, 0
    for gap in gaps:
        now += gap
        allowed += limiter.take("k", now) == 0.0
    assert allowed <= 5 + 4.0 * now + 1e-9


def scope_from(host: str | None) -> dict[str, object]:
    return {"type": "http", "client": None if host is None else (host, 50_000)}


def test_anonymous_buckets_are_per_ipv4_address_and_per_ipv6_64() -> None:
    assert client_bucket(scope_from("203.0.113.7")) == "203.0.113.7"
    assert client_bucket(scope_from("203.0.113.8")) != client_bucket(scope_from("203.0.113.7"))
    # One subscriber gets a /64 and can use any address in it: they share one bucket.
    assert client_bucket(scope_from("2001:db8:1:2::1")) == client_bucket(scope_from("2001:db8:1:2:ffff::9"))
    assert client_bucket(scope_from("2001:db8:1:2::1")) == "2001:db8:1:2::/64"
    assert client_bucket(scope_from("2001:db8:1:3::1")) != client_bucket(scope_from("2001:db8:1:2::1"))
    assert client_bucket(scope_from(None)) == client_bucket(scope_from(None))  # a unix socket: one bucket
