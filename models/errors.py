"""Errors and rejection reasons, each with a stable machine-readable code.

The exception tree (raised: something is wrong with the input or the call)::

    JaringError                  code + sentence; str() is "code: sentence"
    ├── DecodeError              bytes that are not a known event (codec)
    ├── NikError                 a NIK that does not parse (nik)
    ├── TariffError              no premium in force for a date (tariff)
    ├── RegionMismatchError      an event routed to another region's matcher
    ├── UnroutableError          an event type no topic carries (models.topics; a bug, never input)
    └── LedgerError              a money invariant would break (a bug, never input)

Rejections are not exceptions: an ineligible application or an unfundable
pledge is a normal outcome, published as ``ApplicationRejected`` /
``PledgeRejected`` with a ``Reason`` code and a sentence saying what to do.
Codes are part of the public contract: add new ones, never rename.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "DecodeError",
    "JaringError",
    "LedgerError",
    "NikError",
    "Reason",
    "RegionMismatchError",
    "TariffError",
    "UnroutableError",
]


class JaringError(Exception):
    """Base of every error the domain raises: a stable ``code`` and a ``message``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class DecodeError(JaringError):
    """Bytes that cannot become an event.

    Codes: ``not_json``, ``unknown_type``, ``unsupported_schema_version``,
    ``invalid_field``, ``null_value``. The stream layer dead-letters the message with the code.
    """


class NikError(JaringError):
    """A NIK that does not parse; its code doubles as the rejection reason."""


class TariffError(JaringError):
    """No tariff schedule is in force on the requested date (``tariff_not_in_force``)."""


class RegionMismatchError(JaringError):
    """An event whose region differs from the matcher's (``wrong_region``).

    The Kafka key decides which matcher sees an event, so this is a routing
    bug in a producer, not a user error: dead-letter it.
    """


class LedgerError(JaringError):
    """A ledger operation that would break ``committed + remainder = pledged`` or ``paid <= committed``."""


class Reason(StrEnum):
    """Why an input had the outcome it had (``reason`` on the event): rejected applications and
    pledges, registration answers, reconciled payments, refund settlements."""

    # NIK (Permendagri on population numbers; see models.nik)
    NIK_INVALID_LENGTH = "nik_invalid_length"
    NIK_INVALID_FORMAT = "nik_invalid_format"
    NIK_UNKNOWN_REGION = "nik_unknown_region"
    NIK_INVALID_BIRTH_DATE = "nik_invalid_birth_date"
    NIK_BIRTH_DATE_MISMATCH = "nik_birth_date_mismatch"
    NIK_SEX_MISMATCH = "nik_sex_mismatch"
    # the city's policy (models.eligibility.CityPolicy)
    OUTSIDE_SERVED_AREA = "outside_served_area"
    DISTRICT_NOT_IN_REGENCY = "district_not_in_regency"
    AGE_BELOW_MINIMUM = "age_below_minimum"
    AGE_ABOVE_MAXIMUM = "age_above_maximum"
    ALREADY_COVERED = "already_covered"
    WELFARE_DECILE_ABOVE_LIMIT = "welfare_decile_above_limit"
    WELFARE_DECILE_UNKNOWN = "welfare_decile_unknown"
    OCCUPATION_NOT_SERVED = "occupation_not_served"
    # matcher state
    DUPLICATE_WORKER = "duplicate_worker"
    DUPLICATE_PLEDGE = "duplicate_pledge"
    # pledges
    PLEDGE_MONTHS_NOT_ALLOWED = "pledge_months_not_allowed"
    PLEDGE_VALIDITY_INVALID = "pledge_validity_invalid"
    PLEDGE_VALIDITY_ENDED = "pledge_validity_ended"
    PLEDGE_TARGETING_EMPTY = "pledge_targeting_empty"
    PLEDGE_TARGETING_OUTSIDE_REGION = "pledge_targeting_outside_region"
    PLEDGE_TARGETING_UNSERVED = "pledge_targeting_unserved"
    PLEDGE_BELOW_ONE_SEAT = "pledge_below_one_seat"
    TARIFF_NOT_IN_FORCE = "tariff_not_in_force"
    # pledges: plausibility bounds (CityPolicy.max_pledge_idr, max_pledge_seats)
    PLEDGE_AMOUNT_ABOVE_LIMIT = "pledge_amount_above_limit"
    PLEDGE_SEATS_ABOVE_LIMIT = "pledge_seats_above_limit"
    PLEDGE_MAX_WORKERS_ABOVE_LIMIT = "pledge_max_workers_above_limit"
    # areas: Kemendagri's table (models.regions); an application's district, a pledge's targeted districts
    DISTRICT_UNKNOWN = "district_unknown"
    # registration answers (registration.unmatched) and cancelled seats (coverage.cancelled)
    REGISTRATION_UNKNOWN = "registration_unknown"
    REGISTRATION_NOT_PENDING = "registration_not_pending"
    REGISTRATION_REJECTED = "registration_rejected"
    REGISTRATION_EXPIRED = "registration_expired"
    # reconciliation (payment.reconciled): one reason per outcome
    PAYMENT_EXACT = "payment_exact"
    PAYMENT_SHORT = "payment_short"
    PAYMENT_OVER = "payment_over"
    PAYMENT_DUPLICATE = "payment_duplicate"
    BILL_UNKNOWN = "bill_unknown"
    BILL_OF_ANOTHER_PAYER = "bill_of_another_payer"
    # refund settlements (refund.rejected)
    REFUND_UNKNOWN = "refund_unknown"
    REFUND_OVER_OWED = "refund_over_owed"
    # life events (life_event.rejected)
    WORKER_UNKNOWN = "worker_unknown"
    WORKER_EXITED = "worker_exited"
    LIFE_EVENT_PERIOD_AHEAD = "life_event_period_ahead"
    LIFE_EVENT_STALE = "life_event_stale"
    # one person, one worker across regions (models.persons): applications the person index refuses
    PERSON_DECEASED = "person_deceased"
    PERSON_MOVING = "person_moving"
    PERSON_MOVE_REFUSED = "person_move_refused"
    COVERED_ELSEWHERE = "covered_elsewhere"


class UnroutableError(JaringError):
    """An event type that no topic carries (``unroutable_event``): a bug, never bad input."""
