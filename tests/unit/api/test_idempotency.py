"""Idempotency-Key outcomes, after the IETF draft: replay, conflict, in flight, retry after failure."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_answers_expire_after_the_ttl() -> None:
    store = IdempotencyStore(ttl_s=10)
    store.begin(SCOPE, "body-a", 0.0)
    store.complete(SCOPE, ANSWER)
    assert store.begin(SCOPE, "body-b", 9.9) == (Begin.MISMATCH, None)
    assert store.begin(SCOPE, "body-b", 10.0) == (Begin.PROCEED, None)


def test_a_subject_over_its_key_cap_is_refused_new_keys_and_nobody_else_loses_one() -> None:
    store = IdempotencyStore(ttl_s=10, max_keys_per_subject=3)
    store.begin(("pledges", "bank-sultra", "theirs"), "body-b", 0.0)
    for n in range(3):
        assert store.begin(("pledges", "flooder", f"k{n}"), "x", 1.0 + n)[0] is Begin.PROCEED
    assert store.begin(("pledges", "flooder", "k3"), "x", 4.0) == (Begin.SUBJECT_FULL, None)
    assert store.retry_after(("pledges", "flooder", "k3"), 4.0) == 7.0  # its oldest key expires at 11
    # the flooder's own keys are still answered, and another subject's key is still held
    assert store.begin(("pledges", "flooder", "k0"), "y", 4.0) == (Begin.MISMATCH, None)
    assert store.begin(("pledges", "bank-sultra", "theirs"), "other", 4.0) == (Begin.MISMATCH, None)
    assert store.begin(("pledges", "bank-sultra", "new"), "z", 4.0)[0] is Begin.PROCEED
    assert store.begin(("pledges", "flooder", "k3"), "x", 11.0)[0] is Begin.PROCEED


def test_a_subject_over_its_byte_cap_is_refused_new_keys() -> None:
    store = IdempotencyStore(ttl_s=10, max_bytes_per_subject=10_000)
    big = StoredAnswer(202, {"results": ["r" * 100] * 100})
    n = 0
    while (outcome := store.begin(("payments/report", "payer-a", f"k{n}"), "x", 0.0))[0] is Begin.PROCEED:
        store.complete(("payments/report", "payer-a", f"k{n}"), big)
        n += 1
    assert outcome == (Begin.SUBJECT_FULL, None)
    assert n == 1  # one answer of ~10 kB fills a 10 kB share
    assert store.begin(("payments/report", "payer-b", "k0"), "x", 0.0)[0] is Begin.PROCEED


def test_the_whole_store_full_refuses_new_keys_of_anyone_until_the_oldest_expires() -> None:
    store = IdempotencyStore(ttl_s=10, max_entries=2)
    store.begin(("pledges", "a", "k"), "x", 0.0)
    store.begin(("pledges", "b", "k"), "x", 5.0)
    assert store.begin(("pledges", "c", "k"), "x", 6.0) == (Begin.STORE_FULL, None)
    assert store.retry_after(("pledges", "c", "k"), 6.0) == 4.0
    assert store.begin(("pledges", "a", "k"), "y", 6.0) == (Begin.MISMATCH, None)
    assert store.begin(("pledges", "c", "k"), "x", 10.0)[0] is Begin.PROCEED


_ops = st.lists(
    st.tuples(
        st.sampled_from(["begin", "complete", "abandon"]),
        st.sampled_from(["s1", "s2", "s3"]),
        st.integers(0, 7),
        st.sampled_from(["x", "y"]),
        st.integers(0, 2),
    ),
    max_size=80,
)


@settings(max_examples=300)
@given(_ops)
def test_caps_hold_and_no_key_is_forgotten_inside_its_window(
    ops: list[tuple[str, str, int, str, int]],
) -> None:
    """Whatever clients do, the caps hold, and a key claimed inside its window is answered as the
    draft says (a changed body is a mismatch) until it expires or its attempt failed."""
    store = IdempotencyStore(ttl_s=10, max_entries=4, max_keys_per_subject=3, max_bytes_per_subject=4_000)
    held: dict[tuple[str, str, str], tuple[str, float]] = {}
    now = 0.0
    for op, subject, key, body, step in ops:
        now += step
        scope = ("pledges", subject, f"k{key}")
        held = {s: (b, t) for s, (b, t) in held.items() if now - t < 10}
        if op == "begin":
            outcome, _ = store.begin(scope, body, now)
            if scope in held:
                assert outcome is not Begin.PROCEED
                assert (outcome is Begin.MISMATCH) == (held[scope][0] != body)
            elif outcome is Begin.PROCEED:
                held[scope] = (body, now)
            else:
                assert outcome in (Begin.SUBJECT_FULL, Begin.STORE_FULL)
        elif op == "complete":
            store.complete(scope, StoredAnswer(202, {"n": "v" * 500 * step}))
        else:
            store.abandon(scope)
            held.pop(scope, None)
        assert len(store) <= 4
        assert sum(s[1] == subject for s in held) <= 3
        assert store.size <= 3 * (4_000 + 2_500)
