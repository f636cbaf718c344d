"""The fairness fold (``models.fairness``) on the real engine's outputs (``city_story``).

The oracle for who is in which group is the applications themselves (the
inputs: sex, decile, disability, district, occupation), joined to the outputs
by pseudonym; the oracle for who is covered is the dashboard's own covered
series. Every figure compared is an integer or a ``Fraction``.
"""

from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from dashboard.metrics import DashboardMetrics
from dashboard.read_model import CityView
from infra.settings import DEV_PSEUDONYM_KEY
from jaring.scenario import applications
from models.events import CoverageActivated, CoverageExpired, OutputEvent
from models.fairness import DIMENSIONS, MERGED, Fairness, fold, table, tables, vocabulary
from models.nik import pseudonym
from models.topics import route
from tests.unit.dashboard.city_story import START, city

REGION = "74.71"
OUTPUTS = city(120, (30, 20), months=5)
"""120 apply, 50 are seated for three months; their terms end in March and they wait again."""
BIG = city(200, (60, 40))


def _applicants() -> dict[str, tuple[str, str, str, str, str]]:
    """Pseudonym -> the groups its application names, straight from the inputs."""
    return {
        pseudonym(a.nik, DEV_PSEUDONYM_KEY.encode()): (
            a.district, str(a.occupation), str(a.sex),
            "unknown" if a.welfare_decile is None else str(a.welfare_decile), "yes" if a.disability else "no",
        )
        for a in applications(120, seed=7471, start=START)
    }


def test_the_counts_are_the_applicants_groups_and_the_dashboards_covered_series() -> None:
    groups = _applicants()
    months = fold(OUTPUTS).months(REGION)
    view = CityView(min_cell=1)
    for event in OUTPUTS:
        view.apply(event)
    covered_line = {p.period: p.covered for p in view.snapshot(REGION).people}
    seated = {e.worker for e in OUTPUTS if isinstance(e, CoverageActivated)}
    ended = {e.worker for e in OUTPUTS if isinstance(e, CoverageExpired)}

    assert [m.period for m in months] == ["2026-01", "2026-02", "2026-03"]
    assert ended == seated and len(seated) == 50  # the story: every term ends in March
    for m in months:
        assert m.covered_total == covered_line[m.period]
        for i, dimension in enumerate(DIMENSIONS):
            assert m.eligible[dimension] == {
                g: sum(1 for w in groups.values() if w[i] == g) for g in vocabulary(dimension, REGION)
            }
            assert sum(m.eligible[dimension].values()) == m.eligible_total == 120
    first = months[0]
    for i, dimension in enumerate(DIMENSIONS):
        expected = Counter(groups[w][i] for w in seated)
        assert {g: n for g, n in first.covered[dimension].items() if n} == dict(expected)
    assert months[-1].covered_total == 0
    assert first.eligible["disability"]["yes"] > 0  # the story has disabled workers


@settings(max_examples=40, deadline=None)
@given(cut=st.integers(min_value=0, max_value=len(BIG)), min_cell=st.integers(min_value=1, max_value=25))
def test_shares_sum_to_one_ratios_are_exact_and_no_group_under_min_cell_is_shown(
    cut: int, min_cell: int
) -> None:
    for month in fold(BIG[:cut]).months(REGION):
        for t in tables(month, min_cell):
            shown = [r for r in t.rows if r.group != MERGED]
            other = [r for r in t.rows if r.group == MERGED]
            assert len(other) <= 1 and (not other or t.rows[-1] is other[0])
            assert {r.group for r in shown} <= set(vocabulary(t.dimension, REGION))
            assert sum(r.eligible for r in t.rows) == t.eligible_total == month.eligible_total
            assert sum(r.covered for r in t.rows) == t.covered_total == month.covered_total
            if t.eligible_total:
                assert sum(r.eligible_share for r in t.rows) == 1
            if t.covered_total:
                assert sum(r.covered_share for r in t.rows) == 1
                assert sum(r.gap for r in t.rows) == 0
            for r in shown:
                assert r.eligible == 0 or r.eligible >= min_cell
                assert r.covered == 0 or r.covered >= min_cell
            for r in other:
                assert r.eligible >= min_cell or r.eligible == t.eligible_total
                assert r.covered in (0, t.covered_total) or r.covered >= min_cell
            for r in t.rows:
                assert isinstance(r.eligible_share, Fraction) and isinstance(r.gap, Fraction)
                assert r.gap == r.covered_share - r.eligible_share
                if r.ratio is not None:
                    assert isinstance(r.ratio, Fraction)
                    assert r.ratio == r.covered_share / r.eligible_share
                    assert r.ratio == Fraction(r.covered * t.eligible_total, r.eligible * t.covered_total)


def test_at_one_every_group_is_shown_and_at_five_the_small_ones_are_merged() -> None:
    month = fold(BIG).months(REGION)[-1]

    raw, safe = table(month, "occupation", 1), table(month, "occupation", 5)

    small = {r.group for r in raw.rows if 0 < r.covered < 5 or 0 < r.eligible < 5}
    assert small and not raw.merged
    assert set(safe.merged) >= small and safe.rows[-1].group == MERGED
    assert not {r.group for r in safe.rows} & small


@given(st.randoms(use_true_random=False))
@settings(max_examples=25, deadline=None)
def test_any_interleaving_of_the_topics_gives_the_same_months(rng: random.Random) -> None:
    """Kafka orders one topic's partition, not the topics between them."""
    topics = sorted({route(e)[0] for e in OUTPUTS})
    queues = {t: [e for e in OUTPUTS if route(e)[0] == t] for t in topics}
    merged: list[OutputEvent] = []
    while any(queues.values()):
        topic = rng.choice([t for t in topics if queues[t]])
        merged.append(queues[topic].pop(0))

    assert fold(merged).months(REGION) == fold(OUTPUTS).months(REGION)


def test_an_earlier_event_read_later_moves_the_worker_to_its_month_and_group() -> None:
    waiting = next(e for e in OUTPUTS if e.type == "application.waiting")
    later = waiting.model_copy(update={
        "event_id": "later", "period": "2026-02", "event_time": waiting.event_time.replace(month=2),
        "sex": None,
    })
    f = Fairness()
    f.apply(later)
    f.apply(waiting)

    jan, feb = f.months(REGION)
    assert (jan.eligible_total, feb.eligible_total) == (1, 1)
    assert jan.eligible["sex"][str(waiting.sex)] == 1 and jan.eligible["sex"]["unknown"] == 0


def test_the_gauges_carry_bounded_labels_and_the_tables_figures_never_a_small_group() -> None:
    view = CityView()  # JARING_MIN_CELL's default, 5
    for event in BIG:
        view.apply(event)
    metrics = DashboardMetrics.create(CollectorRegistry())
    metrics.observe_fairness(view)
    _, shown = view.fairness(REGION)
    samples = [s for family in metrics.registry.collect() for s in family.samples
               if s.name.startswith("jaring_fairness_")]

    merged = {(t.dimension, g) for t in shown for g in t.merged}
    assert merged  # the story has small groups
    for s in samples:
        dimension, group = s.labels["dimension"], s.labels["group"]
        assert s.labels["region"] == REGION and dimension in DIMENSIONS
        assert group in (*vocabulary(dimension, REGION), MERGED)
        assert (dimension, group) not in merged
        if s.name == "jaring_fairness_workers":
            assert s.value == 0 or s.value >= 5
    ratios = {(s.labels["dimension"], s.labels["group"]): s.value
              for s in samples if s.name == "jaring_fairness_coverage_ratio"}
    expected = {(t.dimension, r.group): r.ratio for t in shown for r in t.rows if r.ratio is not None}
    assert ratios == {key: float(ratio) for key, ratio in expected.items()}

    view.min_cell = 1  # a group that became small leaves no stale series
    metrics.observe_fairness(view)
    every = {s.labels["group"] for f in metrics.registry.collect() for s in f.samples
             if s.name == "jaring_fairness_coverage_ratio"}
    assert MERGED not in every and {g for _, g in merged} <= every


def test_the_dashboard_shows_the_regions_latest_month_even_when_no_group_changed_in_it() -> None:
    view = CityView()
    for event in OUTPUTS:  # the last cover ends in March; April's close changes nothing here
        view.apply(event)
    months = fold(OUTPUTS).months(REGION, through="2026-05")

    snapshot = view.snapshot(REGION)
    assert fold(OUTPUTS).months(REGION)[-1].period == "2026-03"
    assert snapshot.period == "2026-04" == snapshot.fairness_period
    assert [m.period for m in months][-3:] == ["2026-03", "2026-04", "2026-05"]
    assert months[-1].eligible == months[-3].eligible and months[-1].covered == months[-3].covered
