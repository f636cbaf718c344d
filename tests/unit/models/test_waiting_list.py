"""The waiting list's indexed take against a plain sorted list, over random lists and targetings.

``WaitingList.take`` finds a pledge's best admitted workers through bucket heads
(merged directly, walked in ``heads``, or walked in one attribute's heads heaps);
whichever path it takes, what it returns must be exactly what sorting every
waiting entry in priority order and keeping the admitted ones gives, every
tie-break included (entries share keys and submission times here on purpose).
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from models.ledger import Ledger
from models.matcher.entities import Bucket, Entry, Pledge
from models.matcher.waiting_list import WaitingList
from models.nik import Sex
from models.occupations import Occupation
from models.tariff import Package

DISTRICTS = ("74.71.01", "74.71.02", "74.71.03")
OCCUPATIONS = tuple(Occupation)
FEW = OCCUPATIONS[:3]  # few buckets, so a take meets the buckets an earlier one set aside


class Walking(WaitingList):
    """Every targeted take walks (no direct merge): the indexed walk on narrow targeting too."""

    _NARROW = 0


class Merging(WaitingList):
    """Every take merges the buckets it admits: the path the walk must agree with."""

    _NARROW = 10**9


def pledge(
    districts: frozenset[str] | None,
    occupations: frozenset[Occupation] | None,
    sexes: frozenset[Sex] | None,
    cap: int | None,
) -> Pledge:
    return Pledge(
        pledge_id="p", event_id="e", sponsor_id="s", payer_id="y", package=Package.JKK_JKM, months=12,
        districts=districts, occupations=occupations, sexes=sexes, max_welfare_decile=cap,
        monthly_premium_idr=16_800, seat_cost_idr=201_600, seats=1, seats_filled=0, accepted_seq=1,
        opens_period=0, valid_until=date(2026, 12, 31), status="open", reopened=0, ledger=Ledger(),
        bound_until_close=0,
    )


buckets = st.tuples(
    st.sampled_from(DISTRICTS), st.sampled_from(FEW), st.sampled_from(tuple(Sex)), st.integers(0, 4),
)
targetings = st.builds(
    pledge,
    st.none() | st.frozensets(st.sampled_from(DISTRICTS), min_size=1),
    st.none() | st.frozensets(st.sampled_from(FEW), min_size=1),
    st.none() | st.frozensets(st.sampled_from(tuple(Sex)), min_size=1),
    st.none() | st.integers(1, 4),
)
# A few keys and times only, so the tie-breaks (time, then application id, then pseudonym) decide.
operations = st.lists(
    st.one_of(
        st.tuples(st.just("push"), st.integers(-1, 0), st.integers(0, 1), buckets),
        st.tuples(st.just("take"), targetings, st.integers(0, 6)),
        st.tuples(st.just("remove"), st.integers(0, 10**6)),
    ),
    min_size=20,
    max_size=60,
)


def reference_take(waiting: list[tuple[Entry, Bucket]], p: Pledge, limit: int) -> list[Entry]:
    """The definition: every waiting entry in priority order, the first ``limit`` ``p`` admits."""
    admitted = sorted((e, b) for e, b in waiting if p.admits(*b))[:limit]
    for item in admitted:
        waiting.remove(item)
    return [e for e, _ in admitted]


@settings(max_examples=60, deadline=None)
@given(operations, st.sampled_from((WaitingList, Walking, Merging)), st.booleans())
def test_take_is_the_best_admitted_in_priority_order(
    ops: list[tuple[object, ...]], kind: type[WaitingList], restored: bool
) -> None:
    pool = kind()
    waiting: list[tuple[Entry, Bucket]] = []
    n = 0
    for i, op in enumerate(ops):
        if op[0] == "push":
            _, key, at, bucket = op
            n += 1
            # the application id runs against the pseudonym's order: both tie-breaks are exercised
            entry: Entry = (int(key), int(at), f"app{(7 * n) % 5}", f"w{n:04d}")  # type: ignore[call-overload]
            pool.push(entry, bucket)  # type: ignore[arg-type]
            waiting.append((entry, bucket))  # type: ignore[arg-type]
        elif op[0] == "take":
            _, p, limit = op
            assert isinstance(p, Pledge) and isinstance(limit, int)
            assert pool.take(p, limit) == reference_take(waiting, p, limit)
        elif waiting:
            item = waiting.pop(int(op[1]) % len(waiting))  # type: ignore[call-overload]
            assert pool.remove(*item)
        if restored and i == len(ops) // 2:  # a restart mid-way: the heads rebuilt from the buckets
            pool = kind()
            pool.restore(list(waiting))
        assert pool.count == len(waiting)
    assert pool.entries() == sorted(e for e, _ in waiting)
    everyone = pledge(None, None, None, None)
    assert pool.take(everyone, len(waiting) + 1) == reference_take(waiting, everyone, len(waiting) + 1)


def test_long_random_histories_match_the_reference() -> None:
    """Seeded histories longer than hypothesis draws: takes meet buckets earlier takes set aside."""
    rng = random.Random(74_71)
    for kind in (WaitingList, Walking):
        for _ in range(200):
            pool, waiting = kind(), []
            for n in range(80):
                if rng.random() < 0.6:
                    bucket: Bucket = (rng.choice(DISTRICTS), rng.choice(FEW), rng.choice(tuple(Sex)),
                                      rng.randint(0, 4))
                    entry: Entry = (rng.randint(-1, 0), rng.randint(0, 1), f"app{(7 * n) % 5}", f"w{n:04d}")
                    pool.push(entry, bucket)
                    waiting.append((entry, bucket))
                else:
                    p = pledge(_some(rng, DISTRICTS), _some(rng, FEW), _some(rng, tuple(Sex)),
                               None if rng.random() < 0.5 else rng.randint(1, 4))
                    limit = rng.randint(0, 6)
                    assert pool.take(p, limit) == reference_take(waiting, p, limit)


def _some(rng: random.Random, values: tuple[Any, ...]) -> frozenset[Any] | None:
    return None if rng.random() < 0.5 else frozenset(rng.sample(values, rng.randint(1, len(values))))


def test_a_tie_on_key_goes_to_the_earlier_application_across_buckets() -> None:
    """Two deciles' best workers share a key: the walk takes the earlier one, whichever bucket it is in."""
    for kind in (WaitingList, Walking, Merging):
        pool = kind()
        pool.push((-5, 20, "app1", "w1"), ("74.71.01", OCCUPATIONS[0], Sex.FEMALE, 1))
        pool.push((-5, 10, "app2", "w2"), ("74.71.02", OCCUPATIONS[1], Sex.MALE, 2))
        pool.push((-5, 10, "app3", "w0"), ("74.71.03", OCCUPATIONS[2], Sex.MALE, 3))
        taken = pool.take(pledge(None, None, None, 3), 3)
        assert [e[3] for e in taken] == ["w2", "w0", "w1"], kind


def test_heads_stay_bounded_under_churn() -> None:
    """Stale heads are dropped by a rebuild: the heaps never grow with the number of pushes."""
    pool = WaitingList()
    targeted = pledge(frozenset({DISTRICTS[0]}), None, None, None)
    for n in range(20_000):
        bucket: Bucket = (DISTRICTS[n % 3], OCCUPATIONS[n % 10], Sex.FEMALE, n % 11)
        pool.push((-(n % 97), n, f"app{n}", f"w{n}"), bucket)
        if n % 3 == 0:
            pool.take(targeted, 1)
    limit = 2 * len(pool.buckets) + 1024 + 1
    assert len(pool.heads) <= limit
    assert all(len(heap) <= limit for by in pool.index for heap in by.values())
