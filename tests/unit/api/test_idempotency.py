"""Idempotency-Key outcomes, after the IETF draft: replay, conflict, in flight, retry after failure."""

from __future__ import annotations

from api.idempotency import Begin, IdempotencyStore, StoredAnswer

SCOPE = ("pledges", "dealer-kendari", "key-1")
ANSWER = StoredAnswer(202, {"pledge_id": "pl-1"})


def test_the_first_request_proceeds_and_a_retry_gets_the_stored_answer() -> None:
    store = IdempotencyStore(ttl_s=60)
    assert store.begin(SCOPE, "body-a", 0.0) == (Begin.PROCEED, None)
    store.complete(SCOPE, ANSWER)
    assert store.begin(SCOPE, "body-a", 1.0) == (Begin.REPLAY, ANSWER)


def test_a_retry_while_the_first_is_running_is_in_flight() -> None:
    store = IdempotencyStore(ttl_s=60)
    store.begin(SCOPE, "body-a", 0.0)
    assert store.begin(SCOPE, "body-a", 0.1) == (Begin.IN_FLIGHT, None)


def test_the_same_key_with_another_body_is_a_mismatch_running_or_done() -> None:
    store = IdempotencyStore(ttl_s=60)
    store.begin(SCOPE, "body-a", 0.0)
    assert store.begin(SCOPE, "body-b", 0.1) == (Begin.MISMATCH, None)
    store.complete(SCOPE, ANSWER)
    assert store.begin(SCOPE, "body-b", 0.2) == (Begin.MISMATCH, None)


def test_a_failed_attempt_is_forgotten_so_the_retry_runs_again() -> None:
    store = IdempotencyStore(ttl_s=60)
    store.begin(SCOPE, "body-a", 0.0)
    store.abandon(SCOPE)
    assert store.begin(SCOPE, "body-a", 0.1) == (Begin.PROCEED, None)


def test_keys_are_scoped_per_subject() -> None:
    store = IdempotencyStore(ttl_s=60)
    store.begin(SCOPE, "body-a", 0.0)
    assert store.begin(("pledges", "bank-sultra", "key-1"), "body-b", 0.0) == (Begin.PROCEED, None)


def test_answers_expire_after_the_ttl_and_the_store_stays_bounded() -> None:
    store = IdempotencyStore(ttl_s=10, max_entries=2)
    store.begin(SCOPE, "body-a", 0.0)
    store.complete(SCOPE, ANSWER)
    assert store.begin(SCOPE, "body-b", 10.0) == (Begin.PROCEED, None)
    for n in range(3):
        store.begin(("pledges", "s", f"k{n}"), "x", 11.0)
    assert store.begin(SCOPE, "body-c", 11.0) == (Begin.PROCEED, None)  # the oldest was evicted
