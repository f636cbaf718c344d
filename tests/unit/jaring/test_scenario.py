"""The scenario generator's promise: distinct NIKs at any size, the same list for the same seed."""

from __future__ import annotations

from jaring.scenario import KENDARI_DISTRICTS, applications
from models.eligibility import CityPolicy, check_application
from models.nik import Nik, parse
from models.regions import districts_of


def test_applications_have_distinct_valid_niks_beyond_the_four_digit_serial() -> None:
    apps = applications(30_000, seed=91)  # the benchmark's latency run once drew a repeated NIK here
    assert len({a.nik for a in apps}) == len(apps)
    for app in apps[::997]:
        assert parse(app.nik, app.submitted_at.date()).birth_date == app.birth_date
    assert applications(2_000, seed=5) == applications(2_000, seed=5)


def test_every_application_names_a_district_of_its_region_that_exists() -> None:
    """The demo's population passes intake: Kendari's 11 real districts, or another region's own."""
    kendari = applications(40, seed=3)
    baubau = applications(20, seed=4, region="74.72")

    assert tuple(f"74.71.{n:02d}" for n in range(1, 12)) == KENDARI_DISTRICTS
    assert {a.district for a in kendari} == set(KENDARI_DISTRICTS)
    assert {a.district for a in baubau} == set(districts_of("74.72"))
    for app in [*kendari, *baubau]:
        assert isinstance(check_application(app, CityPolicy(served_regencies=("74.71", "74.72"))), Nik)
