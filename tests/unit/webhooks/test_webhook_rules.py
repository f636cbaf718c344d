"""The pure part of webhooks: the signature, the retry schedule, the commit rule, the fold, the URL rule."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.events import (
    WebhookAttempted,
    WebhookRegistered,
    WebhookRemoved,
    WebhookReplayed,
    WebhookReplayRequested,
)
from models.webhooks.addresses import url_problem
from models.webhooks.book import WebhookBook
from models.webhooks.rules import CommitTracker, RetryPolicy
from models.webhooks.signing import parse, secret_for, sign, verify

T0 = datetime(2026, 3, 1, tzinfo=UTC)
BODY = b'{"type":"pledge.accepted","event_id":"pledge.accepted:s:p"}'


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body_as_documented() -> None:
    """What a receiver in any language computes from the README's one sentence."""
    secret = secret_for(b"k" * 32, "dealer-kendari", "0" * 32)
    header = sign(secret, 1_767_225_600, BODY)
    expected = hmac.new(secret.encode(), b"1767225600." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1767225600,v1={expected}"
    assert secret.startswith("whsec_") and secret_for(b"k" * 32, "dealer-kendari", "1" * 32) != secret


@given(st.binary(max_size=200), st.integers(0, 2**40))
def test_a_signed_body_verifies_and_any_change_does_not(body: bytes, t: int) -> None:
    secret = "whsec_test"
    header = sign(secret, t, body)
    assert verify(header, secret, body, now=t)
    assert not verify(header, secret, body + b" ", now=t)
    assert not verify(header, "whsec_other", body, now=t)
    assert not verify(header, secret, body, now=t + 301)  # replayed too late
    assert not verify(header.replace(f"t={t}", f"t={t + 1}"), secret, body, now=t)


@pytest.mark.parametrize("header", ["", "v1=abc", "t=x,v1=abc", "t=12", "garbage"])
def test_a_malformed_header_never_verifies(header: str) -> None:
    assert parse(header) is None or not verify(header, "s", b"", now=12)


def test_backoff_doubles_to_its_ceiling_and_parks_after_the_window() -> None:
    retry = RetryPolicy(first_s=1, most_s=8, give_up_after_s=20)
    assert [retry.delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 8, 8]
    assert retry.next_attempt(1, first_at=100, now=100.5) == 101.5
    assert retry.next_attempt(5, first_at=100, now=113) is None  # 113 + 8 is past 100 + 20


@given(st.lists(st.tuples(st.integers(0, 2), st.booleans()), max_size=60), st.randoms())
def test_the_commit_never_passes_an_unfinished_record(records: list[tuple[int, bool]], rnd: object) -> None:
    """Offsets are read in order per partition; any subset finishes, in any order."""
    tracker = CommitTracker()
    offsets: dict[int, int] = {}
    unfinished: dict[int, set[int]] = {}
    delivered: list[tuple[int, int]] = []
    for partition, for_someone in records:
        offset = offsets.get(partition, 0)
        offsets[partition] = offset + 1
        if for_someone:
            tracker.add(("t", partition), offset)
            unfinished.setdefault(partition, set()).add(offset)
            delivered.append((partition, offset))
        else:
            tracker.skip(("t", partition), offset)
    rnd.shuffle(delivered)  # type: ignore[attr-defined]
    for partition, offset in delivered[: len(delivered) // 2]:
        tracker.done(("t", partition), offset)
        unfinished[partition].discard(offset)
    for (_, partition), commit in tracker.committable().items():
        assert all(commit <= o for o in unfinished.get(partition, ()))
        if not unfinished.get(partition):
            assert commit == offsets[partition]


def _attempt(n: int, outcome: str, event_id: str = "e1", body: str | None = None) -> WebhookAttempted:
    return WebhookAttempted(
        event_id=f"a:{event_id}:{n}", event_time=T0, sponsor_id="s", delivered_event_id=event_id,
        delivered_type="pledge.accepted", attempt=n, outcome=outcome, body=body,  # type: ignore[arg-type]
    )


def test_the_book_keeps_the_endpoint_open_requests_and_what_is_parked() -> None:
    book = WebhookBook(keep_attempts=3)
    book.apply(WebhookRegistered(event_id="r1", event_time=T0, sponsor_id="s", url="https://a.example/x",
                                 nonce="a" * 32))
    book.apply(WebhookReplayRequested(event_id="q1", event_time=T0, sponsor_id="s", parked=True))
    assert book.endpoints["s"].url == "https://a.example/x"
    assert [r.event_id for r in book.open_requests()] == ["q1"]
    for n, outcome in enumerate(["retrying", "retrying", "parked"], 1):
        book.apply(_attempt(n, outcome, body="{}" if outcome == "parked" else None))
    assert [a.delivered_event_id for a in book.parked_of("s")] == ["e1"]
    book.apply(_attempt(4, "delivered"))
    assert book.parked_of("s") == [] and [a.attempt for a in book.recent("s", 10)] == [4, 3, 2]
    book.apply(WebhookReplayed(event_id="d1", event_time=T0, sponsor_id="s", request_id="q1", events=1))
    book.apply(WebhookReplayRequested(event_id="q1", event_time=T0, sponsor_id="s", parked=True))
    assert book.open_requests() == []  # a request read again after its completion is not redone
    book.apply(WebhookRemoved(event_id="x1", event_time=T0, sponsor_id="s"))
    assert "s" not in book.endpoints


@pytest.mark.parametrize(("url", "refused_anyway"), [
    ("http://csr.example.co.id/hook", False),
    ("https://127.0.0.1/hook", False),
    ("https://169.254.169.254/latest/meta-data", False),
    ("https://10.1.2.3/hook", False),
    ("https://[::1]/hook", False),
    ("https://localhost/hook", False),
    ("https://kafka.internal/hook", False),
    ("https://user:pw@csr.example.co.id/hook", True),
    ("ftp://csr.example.co.id/hook", True),
    ("https://csr.example.co.id:0/", True),
])
def test_endpoints_that_reach_into_the_city_network_are_refused(url: str, refused_anyway: bool) -> None:
    """``refused_anyway``: not a URL a webhook may have even where private hosts are allowed."""
    assert url_problem(url, allow_private=False) is not None
    assert (url_problem(url, allow_private=True) is not None) == refused_anyway


def test_a_public_https_endpoint_is_accepted() -> None:
    assert url_problem("https://csr.example.co.id/jaring", allow_private=False) is None
    assert url_problem("https://csr.example.co.id:8443", allow_private=False) is None
    assert url_problem("https://8.8.8.8/hook", allow_private=False) is not None  # a certificate names a host
    assert url_problem("https://csr.example.co.id*/x", allow_private=False) is not None
    assert url_problem("http://127.0.0.1:8123/hook", allow_private=True) is None
