"""``jaring.replay_policy``: a region log run under two policies, and what differs between them."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import timedelta
from importlib import resources

import pytest

from infra.topic_io import Record
from jaring.replay_policy import PolicyFileError, compare, parse_policy, render, run, to_csv
from models.codec import encode
from models.eligibility import KENDARI, CityPolicy
from models.events import ApplicationSubmitted, PledgeSubmitted
from models.nik import Sex, pseudonym
from models.occupations import Occupation
from models.priority import PriorityWeights
from models.tariff import TARIFF_FILE, load_tariff
from tests.unit.factories import KEY, REGION, T0, application, confirmed, pledge, tick

POVERTY_BLIND = KENDARI.model_copy(update={"priority": PriorityWeights(points_per_decile=0)})
"""Hazard decides instead of poverty: the fishers go before the poorer tailors."""


def policy_scenario() -> list[ApplicationSubmitted | PledgeSubmitted]:
    """Six tailors of decile 1 and six fishers of decile 5 wait; a pledge buys six seats; a month closes.

    Kendari's weights seat the tailors (100 + 15 points against 60 + 45);
    without poverty points the fishers (45 against 15).
    """
    apps = [
        application(event_id=f"evt-app-{n}", application_id=f"app-{n}", serial=n,
                    district="74.71.01" if n % 2 else "74.71.02",
                    sex=Sex.FEMALE if n < 6 else Sex.MALE,
                    occupation=Occupation.TAILOR if n < 6 else Occupation.FISHER,
                    welfare_decile=1 if n < 6 else 5, submitted_at=T0 + timedelta(minutes=n))
        for n in range(12)
    ]
    seats = pledge(event_id="evt-pledge-six", pledge_id="six", amount_idr=6 * 16_800 * 12 + 5_000)
    return [*apps, seats, tick("2025-01")]


def as_log(events: list[ApplicationSubmitted | PledgeSubmitted]) -> list[Record]:
    return [Record("region-log", 0, n, REGION.encode(), encode(e)) for n, e in enumerate(events)]


def test_the_same_policy_differs_in_nothing() -> None:
    log = as_log(policy_scenario())
    diff = compare(run(log, REGION, KEY, KENDARI), run(log, REGION, KEY, KENDARI))
    assert diff.empty and diff.workers == 12
    assert "no difference" in render(diff, REGION, "same.json")


def test_a_priority_weight_moves_who_is_covered() -> None:
    log = as_log(policy_scenario())
    diff = compare(run(log, REGION, KEY, KENDARI), run(log, REGION, KEY, POVERTY_BLIND))
    moves = {(c.profile.occupation, str(c.current), str(c.new)) for c in diff.changes}
    assert moves == {("tailor", "covered", "waiting"), ("fisher", "waiting", "covered")}
    assert len(diff.changes) == 12
    assert not diff.money  # the same six seats, the same money: only who holds them changed
    text = render(diff, REGION, "blind.json")
    assert "covered -> waiting            6" in text and "waiting -> covered            6" in text
    assert "occupation      tailor 6" in text and "sex             F 6" in text
    rows = list(csv.DictReader(io.StringIO(to_csv(diff))))
    assert len(rows) == 12 and {r["welfare_decile"] for r in rows} == {"1", "5"}
    assert all(r["pseudonym"] == c.worker for r, c in zip(rows, diff.changes, strict=True))


def test_counts_by_group_merge_small_cells() -> None:
    """Three districts' workers per transition would be cells of 3: merged, so none is shown."""
    log = as_log(policy_scenario())
    diff = compare(run(log, REGION, KEY, KENDARI), run(log, REGION, KEY, POVERTY_BLIND))
    text = render(diff, REGION, "blind.json")
    assert "district        other 6" in text
    assert "74.71.01 3" not in text


def test_a_policy_refusing_the_pledge_shows_its_money_and_every_worker_waiting() -> None:
    log = as_log(policy_scenario())
    yearly_only_monthly = KENDARI.model_copy(update={"pledge_months": (1, 3)})
    diff = compare(run(log, REGION, KEY, KENDARI), run(log, REGION, KEY, yearly_only_monthly))
    assert {(str(c.current), str(c.new)) for c in diff.changes} == {("covered", "waiting")}
    before, after = diff.money["dealer-kendari:six"]
    assert before is not None and (before.seats, before.committed_idr, before.remainder_idr) == (
        6, 6 * 16_800 * 12, 5_000)
    assert after is not None and after.status == "rejected (pledge_months_not_allowed)"
    assert "remainder 5,000" in render(diff, REGION, "short.json")


def test_a_rejected_worker_admitted_by_the_new_policy_gets_their_groups_from_it() -> None:
    log = as_log(policy_scenario())
    strict = KENDARI.model_copy(update={"max_welfare_decile": 4})
    diff = compare(run(log, REGION, KEY, strict), run(log, REGION, KEY, KENDARI))
    fishers = [c for c in diff.changes if c.current.state == "rejected"]
    assert len(fishers) == 6
    assert {c.current.reason for c in fishers} == {"welfare_decile_above_limit"}
    assert {c.profile.occupation for c in fishers} == {"fisher"}


def dearer_tariff() -> str:
    """The engine's tariff file plus a schedule from 2025 with JKM at Rp 8,000 (a seat: Rp 18,000 a month)."""
    data = json.loads((resources.files("models") / "data" / TARIFF_FILE).read_text("utf-8"))
    dearer = copy.deepcopy(data["schedules"][0])
    dearer["effective_from"] = "2025-01-01"
    for tier in dearer["tiers"]:
        tier["jkm_idr"] = 8_000
    data["schedules"].append(dearer)
    return json.dumps(data)


def test_a_new_tariff_buys_fewer_seats_and_the_money_shows_it() -> None:
    log = as_log(policy_scenario())
    dearer = load_tariff(dearer_tariff())
    diff = compare(run(log, REGION, KEY, KENDARI), run(log, REGION, KEY, KENDARI, dearer))
    assert [(str(c.current), str(c.new), c.profile.occupation) for c in diff.changes] == [
        ("covered", "waiting", "tailor")]
    before, after = diff.money["dealer-kendari:six"]
    assert before is not None and after is not None
    assert (before.seats, after.seats) == (6, 5)
    amount = 6 * 16_800 * 12 + 5_000
    assert (after.committed_idr, after.remainder_idr) == (5 * 18_000 * 12, amount - 5 * 18_000 * 12)


def test_only_the_named_region_is_replayed() -> None:
    log = as_log(policy_scenario())
    assert not run(log, "74.01", KEY, KENDARI).outcomes


def test_a_bad_policy_file_names_the_field() -> None:
    with pytest.raises(PolicyFileError, match=r"policy_invalid: p.json: priority.points_per_decile: "):
        parse_policy(b'{"priority": {"points_per_decile": -1}}', "p.json")
    with pytest.raises(PolicyFileError, match=r"p.json: max_age: "):
        parse_policy(b'{"max_age": "old"}', "p.json")
    with pytest.raises(PolicyFileError, match=r"p.json: bogus: Extra inputs"):
        parse_policy(b'{"bogus": 1}', "p.json")
    assert parse_policy(KENDARI.model_dump_json(), "shown.json") == KENDARI
    assert isinstance(parse_policy(b"{}", "empty.json"), CityPolicy)


def test_switching_the_discounts_off_shows_the_money_they_gave_back() -> None:
    """An ojek driver covered from December 2025, three months closed: PP 50/2025 halves January's and
    February's JKK+JKM. Under a policy without discounts (or a tariff file without them) nobody moves,
    and the pledge's money shows what the discount gave back to its remainder."""
    dec = T0.replace(year=2025, month=12, day=3)
    ojek = application(event_id="evt-ojek", application_id="app-ojek", serial=1, event_time=dec,
                       submitted_at=dec, occupation=Occupation.OJEK_DRIVER)
    seat = pledge(event_id="evt-one", pledge_id="one", event_time=dec, amount_idr=16_800 * 6, months=6,
                  valid_from=dec.date().replace(day=1), valid_until=dec.date().replace(year=2026, month=12))
    cid = f"dealer-kendari:one:{pseudonym(ojek.nik, KEY)}:1"
    log = as_log([ojek, seat, confirmed(cid, event_id="ok", event_time=dec), tick("2025-12"), tick("2026-01"),
                  tick("2026-02")])
    before = run(log, REGION, KEY, KENDARI)
    off = parse_policy(json.dumps({"apply_tariff_discounts": False}), "no-discount.json")
    data = json.loads((resources.files("models") / "data" / TARIFF_FILE).read_text(encoding="utf-8"))
    data["discounts"] = []
    for after in (run(log, REGION, KEY, off), run(log, REGION, KEY, KENDARI, load_tariff(json.dumps(data)))):
        diff = compare(before, after)
        assert diff.changes == []
        now, then = diff.money["dealer-kendari:one"]
        assert now is not None and then is not None
        assert (now.repriced_idr, then.repriced_idr) == (2 * 8_400, 0)
        assert (now.billed_idr, then.billed_idr) == (16_800 + 2 * 8_400, 3 * 16_800)
        assert "repriced 16,800" in render(diff, REGION, "no-discount.json")
