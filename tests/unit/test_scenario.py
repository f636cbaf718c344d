"""The scenario generator's promise: distinct NIKs at any size, the same list for the same seed."""

from __future__ import annotations

from jaring.scenario import applications
from models.nik import parse


def test_applications_have_distinct_valid_niks_beyond_the_four_digit_serial() -> None:
    apps = applications(30_000, seed=91)  # the benchmark's latency run once drew a repeated NIK here
    assert len({a.nik for a in apps}) == len(apps)
    for app in apps[::997]:
        assert parse(app.nik, app.submitted_at.date()).birth_date == app.birth_date
    assert applications(2_000, seed=5) == applications(2_000, seed=5)
