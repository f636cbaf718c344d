"""Synthetic, reproducible scenarios: the Kendari programme and variations of it.

The people are invented (seeded ``random.Random``, so the same seed gives the
same population, byte for byte) but shaped like the real programme: 1,500
informal workers of Kota Kendari (74.71) spread over its 11 districts
(Kemendagri's table, ``models.regions``), in the occupations the city enrolled, on welfare
deciles 1-5 or not on the register, and pledges totalling Rp 302,400,000,
which pays JKK+JKM on the lowest tier (Rp 16,800 a month) for all of them
for twelve months. Used by ``jaring demo``, the end-to-end tests and the
benchmarks.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from models.events import (
    ApplicationSubmitted,
    Channel,
    LifeEventKind,
    LifeEventReported,
    MonthTick,
    PledgeSubmitted,
    Targeting,
)
from models.nik import Sex
from models.occupations import Occupation
from models.periods import period_index, period_name
from models.regions import districts_of
from models.tariff import Package

__all__ = [
    "KENDARI",
    "KENDARI_DISTRICTS",
    "Scenario",
    "applications",
    "kendari",
    "life_events",
    "month_ticks",
    "pledges",
]

KENDARI = "74.71"
KENDARI_DISTRICTS = districts_of(KENDARI)
"""Mandonga (74.71.01) to Nambo (74.71.11): only codes that exist, or intake refuses them."""

# Shares roughly as the programme reported its enrolment: sellers and
# drivers most, then fishers and builders, a few artists and tailors.
_OCCUPATIONS: tuple[tuple[Occupation, int], ...] = (
    (Occupation.STREET_VENDOR, 22),
    (Occupation.OJEK_DRIVER, 20),
    (Occupation.FOOD_SELLER, 14),
    (Occupation.FISHER, 12),
    (Occupation.CONSTRUCTION_WORKER, 10),
    (Occupation.PARKING_ATTENDANT, 8),
    (Occupation.TAILOR, 6),
    (Occupation.ARTIST, 4),
    (Occupation.FARMER, 4),
)
_GIVEN = ("Ahmad", "Siti", "La Ode", "Wa Ode", "Andi", "Nur", "Rahmat", "Sri", "Muh.", "Hasna")
_FAMILY = ("Saputra", "Rahman", "Hamid", "Lestari", "Sulaiman", "Ningsih", "Yusuf", "Kadir")


@dataclass(frozen=True)
class Scenario:
    applications: list[ApplicationSubmitted]
    pledges: list[PledgeSubmitted]
    ticks: list[MonthTick]
    seats: int
    """Seats the pledges pay for, all told."""


def _nik(district: str, birth: date, sex: Sex, serial: int) -> str:
    day = birth.day + (40 if sex == Sex.FEMALE else 0)
    issued = district.replace(".", "")  # issuing district = home district here
    return f"{issued}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def applications(
    count: int,
    *,
    seed: int = 7471,
    start: datetime = datetime(2026, 1, 5, 1, 0, tzinfo=UTC),
    spacing: timedelta = timedelta(seconds=37),
    region: str = KENDARI,
    districts: tuple[str, ...] | None = None,
    id_prefix: str = "app",
) -> list[ApplicationSubmitted]:
    """``count`` eligible applications with distinct NIKs, submitted ``spacing`` apart.

    Spread over ``districts``, by default every district the region has.
    """
    return list(each_application(count, seed=seed, start=start, spacing=spacing, region=region,
                                 districts=districts, id_prefix=id_prefix))


def each_application(
    count: int,
    *,
    seed: int = 7471,
    start: datetime = datetime(2026, 1, 5, 1, 0, tzinfo=UTC),
    spacing: timedelta = timedelta(seconds=37),
    region: str = KENDARI,
    districts: tuple[str, ...] | None = None,
    id_prefix: str = "app",
) -> Iterator[ApplicationSubmitted]:
    """``applications`` one at a time: a million held as models take gigabytes, encoded a tenth."""
    districts = districts_of(region) if districts is None else districts
    if not districts:
        raise ValueError(f"region {region} has no districts in Kemendagri's table; name real ones")
    rng = random.Random(seed)  # noqa: S311 - a reproducible population, not a secret
    jobs, weights = zip(*_OCCUPATIONS, strict=True)
    used: set[str] = set()
    for n in range(count):
        district = districts[n % len(districts)]
        sex = Sex.FEMALE if rng.random() < 0.45 else Sex.MALE
        age_days = rng.randint(19 * 366, 63 * 365)
        birth = (start - timedelta(days=age_days)).date()
        submitted = start + spacing * n
        dependants = rng.choice((0, 0, 1, 2, 3, 4, 5))
        # The serial starts from n and skips any taken, so NIKs are distinct in a
        # scenario of any size (four digits wrap after 9,999 applications).
        serial = n % 9999
        while (nik := _nik(district, birth, sex, 1 + serial)) in used:
            serial = (serial + 1) % 9999
        used.add(nik)
        yield ApplicationSubmitted(
            event_id=f"{id_prefix}-evt-{seed}-{n}",
            event_time=submitted,
            application_id=f"{id_prefix}-{seed}-{n}",
            nik=nik,
            name=f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}",
            birth_date=birth,
            sex=sex,
            regency=region,
            district=district,
            occupation=rng.choices(jobs, weights)[0],
            declared_income_idr=1_000_000,
            dependants=dependants,
            breadwinner=dependants > 0 and rng.random() < 0.8,
            welfare_decile=rng.choice((1, 1, 2, 2, 3, 3, 4, 5, None)),
            disability=rng.random() < 0.04,
            already_covered=False,
            channel=rng.choice(tuple(Channel)),
            submitted_at=submitted,
        )


def pledges(
    seats: list[int],
    *,
    start: datetime,
    months: int = 12,
    region: str = KENDARI,
    valid_days: int = 90,
    id_prefix: str = "pledge",
    targeting: Targeting | None = None,
) -> list[PledgeSubmitted]:
    """One JKK+JKM pledge per entry of ``seats``, each paying exactly that many seats."""
    out = []
    for n, count in enumerate(seats):
        at = start + timedelta(minutes=n)
        out.append(
            PledgeSubmitted(
                event_id=f"{id_prefix}-evt-{n}",
                event_time=at,
                pledge_id=f"{id_prefix}-{n}",
                sponsor_id=f"sponsor-{n % 3}",
                payer_id=f"payer-{n % 3}",
                region=region,
                amount_idr=count * 16_800 * months,
                months=months,
                package=Package.JKK_JKM,
                targeting=targeting or Targeting(),
                valid_from=at.date(),
                valid_until=at.date() + timedelta(days=valid_days),
            )
        )
    return out


def life_events(
    workers: Sequence[str], *, period: str, region: str = KENDARI, id_prefix: str = "life"
) -> list[LifeEventReported]:
    """One officer's report per worker (by pseudonym), effective in ``period``, the kinds taken in turn.

    Every kind comes up, claims included, so a run sees terms ended, waiting workers
    withdrawn, seats handed on and claims counted. Reported on the 10th of the month
    after ``period``, at the time the event says: no wall clock.
    """
    kinds = tuple(LifeEventKind)
    reported = datetime.fromisoformat(f"{period_name(period_index(period) + 1)}-10T09:00:00+00:00")
    return [
        LifeEventReported(
            event_id=f"{id_prefix}-evt-{region}-{period}-{n}",
            event_time=reported,
            region=region,
            worker=worker,
            kind=kinds[n % len(kinds)],
            effective_period=period,
            reported_on=reported.date(),
        )
        for n, worker in enumerate(workers)
    ]


def month_ticks(first_period: str, count: int, *, region: str = KENDARI) -> list[MonthTick]:
    """Ticks closing ``count`` months from ``first_period``, each stamped just after its month."""
    first = period_index(first_period)
    ticks = []
    for n in range(count):
        period = period_name(first + n)
        year, month = (int(part) for part in period_name(first + n + 1).split("-"))
        ticks.append(
            MonthTick(
                event_id=f"tick-{region}-{period}",
                event_time=datetime(year, month, 1, 0, 5, tzinfo=UTC),
                region=region,
                period=period,
            )
        )
    return ticks


def kendari(workers: int = 1_500, pledge_count: int = 3, seed: int = 7471) -> Scenario:
    """The Kendari programme: every worker applies, then pledges cover them all for a year."""
    apps = applications(workers, seed=seed)
    share, extra = divmod(workers, pledge_count)
    seats = [share + (1 if n < extra else 0) for n in range(pledge_count)]
    after = apps[-1].event_time + timedelta(hours=1)
    first_period = period_name(period_index(f"{apps[0].event_time:%Y-%m}"))
    return Scenario(apps, pledges(seats, start=after), month_ticks(first_period, 12), sum(seats))
