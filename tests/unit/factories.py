"""Valid events with sensible Kendari defaults; each test overrides one thing."""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

from models.events import (
    ApplicationSubmitted,
    Channel,
    LifeEventKind,
    LifeEventReported,
    MonthTick,
    PaymentReported,
    PledgeSubmitted,
    RefundSettled,
    RegistrationConfirmed,
    RegistrationRejected,
    Targeting,
)
from models.matcher import RegionMatcher
from models.nik import Sex
from models.occupations import Occupation
from models.tariff import Package

__all__ = [
    "KEY",
    "REGION",
    "T0",
    "application",
    "confirm_all",
    "confirmed",
    "make_nik",
    "pay_all",
    "payment",
    "pledge",
    "registration_rejected",
    "settled",
    "tick",
]

KEY = b"test-pseudonym-key-0123456789abcdef"
REGION = "74.71"
T0 = datetime(2025, 1, 10, 1, 0, tzinfo=UTC)
"""The first events happen on 10 January 2025 (the region's clock starts in 2025-01)."""

_counter = {"n": 0}


def _next(prefix: str) -> str:
    _counter["n"] += 1
    return f"{prefix}-{_counter['n']}"


def make_nik(
    *,
    birth: date = date(1985, 6, 15),
    sex: Sex = Sex.MALE,
    district: str = "74.71.01",
    serial: int = 1,
) -> str:
    """A NIK that parses to the given birth date, sex and issuing district."""
    day = birth.day + (40 if sex is Sex.FEMALE else 0)
    return f"{district.replace('.', '')}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def application(**overrides: Any) -> ApplicationSubmitted:
    """An eligible Kendari street vendor, decile 3, breadwinner with 2 dependants."""
    birth = overrides.get("birth_date", date(1985, 6, 15))
    sex = overrides.get("sex", Sex.MALE)
    serial = overrides.pop("serial", None)
    if serial is None:
        _counter["n"] += 1
        serial = _counter["n"] % 10_000
    fields: dict[str, Any] = {
        "event_id": _next("evt-app"),
        "event_time": T0,
        "application_id": _next("app"),
        "nik": make_nik(birth=birth, sex=sex, serial=serial),
        "name": "Wa Ode Contoh",
        "birth_date": birth,
        "sex": sex,
        "regency": REGION,
        "district": "74.71.01",
        "occupation": Occupation.STREET_VENDOR,
        "declared_income_idr": 1_500_000,
        "dependants": 2,
        "breadwinner": True,
        "welfare_decile": 3,
        "disability": False,
        "already_covered": False,
        "channel": Channel.KIOSK,
        "submitted_at": T0,
    }
    fields.update(overrides)
    return ApplicationSubmitted(**fields)


def pledge(**overrides: Any) -> PledgeSubmitted:
    """Rp 2,016,000: ten workers for 12 months of JKK+JKM, valid through 2025."""
    fields: dict[str, Any] = {
        "event_id": _next("evt-pledge"),
        "event_time": T0 + timedelta(hours=1),
        "pledge_id": _next("pledge"),
        "sponsor_id": "dealer-kendari",
        "payer_id": "dealer-kendari",
        "region": REGION,
        "amount_idr": 10 * 16_800 * 12,
        "months": 12,
        "package": Package.JKK_JKM,
        "targeting": Targeting(),
        "max_workers": None,
        "valid_from": date(2025, 1, 1),
        "valid_until": date(2025, 12, 31),
    }
    fields.update(overrides)
    return PledgeSubmitted(**fields)


def tick(period: str, **overrides: Any) -> MonthTick:
    """The close of ``period`` for Kendari."""
    year, month = int(period[:4]), int(period[5:])
    fields: dict[str, Any] = {
        "event_id": f"tick-{REGION}-{period}",
        "event_time": datetime(year, month, 28, tzinfo=UTC),
        "region": REGION,
        "period": period,
    }
    fields.update(overrides)
    return MonthTick(**fields)


def confirmed(coverage_id: str, **overrides: Any) -> RegistrationConfirmed:
    """BPJS confirms the registration of ``coverage_id`` (a KPJ derived from the id: stable per seat)."""
    fields: dict[str, Any] = {
        "event_id": _next("evt-reg"),
        "event_time": T0 + timedelta(hours=2),
        "region": REGION,
        "coverage_id": coverage_id,
        "payer_id": "dealer-kendari",
        "membership_number": f"{zlib.crc32(coverage_id.encode()):011d}",
        "start_date": date(2025, 1, 15),
    }
    fields.update(overrides)
    return RegistrationConfirmed(**fields)


def registration_rejected(coverage_id: str, **overrides: Any) -> RegistrationRejected:
    fields: dict[str, Any] = {
        "event_id": _next("evt-reg"),
        "event_time": T0 + timedelta(hours=2),
        "region": REGION,
        "coverage_id": coverage_id,
        "payer_id": "dealer-kendari",
        "reason": "NIK not found in Dukcapil",
    }
    fields.update(overrides)
    return RegistrationRejected(**fields)


def payment(bill_id: str, amount_idr: int, **overrides: Any) -> PaymentReported:
    """The payer ``dealer-kendari`` pays ``amount_idr`` on ``bill_id``."""
    fields: dict[str, Any] = {
        "event_id": _next("evt-pay"),
        "event_time": T0 + timedelta(hours=3),
        "payment_id": _next("TX"),
        "payer_id": "dealer-kendari",
        "region": REGION,
        "bill_id": bill_id,
        "amount_idr": amount_idr,
        "paid_on": date(2025, 2, 10),
        "source": "topic",
    }
    fields.update(overrides)
    return PaymentReported(**fields)


def settled(refund_id: str, amount_idr: int, **overrides: Any) -> RefundSettled:
    fields: dict[str, Any] = {
        "event_id": _next("evt-refund"),
        "event_time": T0 + timedelta(hours=4),
        "region": REGION,
        "refund_id": refund_id,
        "amount_idr": amount_idr,
        "settled_on": date(2025, 3, 1),
    }
    fields.update(overrides)
    return RefundSettled(**fields)


def life_event(worker: str | None, kind: str, effective_period: str, **overrides: Any) -> LifeEventReported:
    """An officer's report about ``worker`` (a pseudonym; ``application_id=...`` with None instead)."""
    fields: dict[str, Any] = {
        "event_id": _next("evt-life"),
        "event_time": T0 + timedelta(hours=5),
        "region": REGION,
        "worker": worker,
        "kind": LifeEventKind(kind),
        "effective_period": effective_period,
        "reported_on": date(2025, 1, 20),
    }
    fields.update(overrides)
    return LifeEventReported(**fields)


def confirm_all(m: RegionMatcher) -> list[RegistrationConfirmed]:
    """BPJS's confirmation of every seat ``m`` has committed and not yet seen answered, in commit order."""
    return [confirmed(cid, payer_id=_payer_of(m, cid), event_id=f"confirm-{cid}") for cid in m.committed()]


def _payer_of(m: RegionMatcher, coverage_id: str) -> str:
    term = m.term(coverage_id)
    assert term is not None, coverage_id
    return term.payer_id


def pay_all(m: RegionMatcher) -> list[PaymentReported]:
    """An exact payment of every bill ``m`` holds with money outstanding, each by the bill's payer."""
    return [
        payment(b.bill_id, b.total_idr - b.paid_idr - b.written_off_idr, payer_id=b.payer_id,
                event_id=f"pay-{b.bill_id}-{b.paid_idr}",
                payment_id=f"TX-{b.period}-{b.payer_id}-{b.paid_idr}")
        for b in m.snapshot().bills
        if b.total_idr - b.paid_idr - b.written_off_idr > 0
    ]
