"""The dashboard shows the city's regions only, the first by default, and districts by their names.

The defect this guards: a sponsor posting one pledge for ``"region": "00.00"``
got a rejection on ``pledge-status.v1`` (as it should), and the read model
made a region of it; the page, opening on the alphabetically first region,
then read "Region 00.00: 0 covered, 60 rejected". The engine's real answers
to such inputs come from ``RegionMatcher``, as on the wire.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dashboard.read_model import CityView
from infra.settings import DEV_PSEUDONYM_KEY
from jaring.scenario import applications, pledges
from models.codec import decode
from models.events import ApplicationRejected, CoverageActivated, Event, OutputEvent, PledgeRejected
from models.matcher import RegionMatcher
from models.regions import district_name
from tests.unit.dashboard.dashboard_recording import RECORDING

RECORDED: list[Event] = [decode(line.split("\t", 1)[1]) for line in RECORDING.read_text().splitlines()]
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def foreign(region: str, n: int = 3) -> list[OutputEvent]:
    """What the engine answers to a pledge and applications naming ``region``: rejections keyed by it."""
    matcher = RegionMatcher(region, DEV_PSEUDONYM_KEY.encode())
    out: list[OutputEvent] = []
    inputs = [
        *pledges([2], start=START, region=region, id_prefix=f"fuzz-{region}"),
        *(a.model_copy(update={"regency": region, "district": f"{region}.01"})
          for a in applications(n, seed=99, id_prefix=f"fuzz-{region}")),
    ]
    for event in inputs:
        out += matcher.handle(event).outputs
    return out


def fold(view: CityView, events: list[Event] | list[OutputEvent]) -> CityView:
    for event in events:
        view.apply(event)
    return view


def test_a_rejected_pledge_and_applications_for_00_00_never_make_a_region() -> None:
    fuzz = foreign("00.00")
    assert {type(e) for e in fuzz} == {PledgeRejected, ApplicationRejected}
    assert {e.region for e in fuzz} == {"00.00"}

    view = fold(CityView(min_cell=1), [*fuzz, *RECORDED, *fuzz])
    clean = fold(CityView(min_cell=1), RECORDED)

    assert view.regions() == ["74.71"]
    assert view.snapshot("74.71") == clean.snapshot("74.71")  # the city's page is untouched
    assert view.snapshot("74.71").regions == ["74.71"]
    assert view.other_regions == 2 * len(fuzz)  # counted for the operator, repeats included
    assert view.events == clean.events


def test_the_first_served_region_comes_first_even_with_no_event_yet() -> None:
    view = CityView(regions=("74.72", "74.71"))

    assert view.regions() == ["74.72", "74.71"]  # the policy's order, not the alphabet's
    fold(view, RECORDED)
    assert view.regions() == ["74.72", "74.71"]
    snap = view.snapshot("74.71")
    assert snap.region_names == {"74.72": "Kota Bau Bau", "74.71": "Kota Kendari"}
    assert (snap.region, snap.region_name) == ("74.71", "Kota Kendari")


def test_a_neighbouring_regions_real_outputs_stay_off_a_city_that_does_not_serve_it() -> None:
    baubau = foreign("74.72")  # a real regency, served by another city
    view = fold(CityView(min_cell=1), [*baubau, *RECORDED])

    assert view.regions() == ["74.71"]
    assert view.snapshot("74.71") == fold(CityView(min_cell=1), RECORDED).snapshot("74.71")


@given(region=st.from_regex(r"\A[0-9]{2}\.[0-9]{2}\Z"))
def test_no_region_code_an_input_names_can_add_itself_to_the_page(region: str) -> None:
    moved = [e.model_copy(update={"region": region}) for e in RECORDED[20:40]]
    view = fold(CityView(min_cell=1), [*RECORDED[:20], *moved])

    assert view.regions() == ["74.71"]
    assert view.snapshot("74.71").regions == ["74.71"]


def test_districts_carry_their_names_from_kemendagris_table() -> None:
    snap = fold(CityView(min_cell=1), RECORDED).snapshot("74.71")

    names = {row.key: row.name for row in snap.districts}
    assert names == {key: district_name(key) for key in names}
    assert names["74.71.07"] == "Wua-Wua"
    assert all(row.name is None for row in snap.occupations)
    while_covered = fold(CityView(min_cell=1), RECORDED[:60]).snapshot("74.71").recent
    named = [a for a in while_covered if a.district is not None]
    assert named and all(a.district_name == district_name(a.district) for a in named)


def test_a_district_the_table_lacks_keeps_its_code_and_no_name() -> None:
    """An output from before the intake check (or another table) must still be counted, by code."""
    first = next(e for e in RECORDED if isinstance(e, CoverageActivated))
    odd = first.model_copy(update={"district": "74.71.99", "event_id": first.event_id + "-odd",
                                   "event_time": first.event_time + timedelta(seconds=1)})
    snap = fold(CityView(min_cell=1), [odd]).snapshot("74.71")

    assert [(r.key, r.name, r.covered) for r in snap.districts] == [("74.71.99", None, 1)]
    assert snap.recent[0].district_name is None
