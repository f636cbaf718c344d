"""From a request body to the core's event: the sponsor from the key, ids from the Idempotency-Key."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from api.bodies import ApplicationIn, PledgeIn
from api.intake import application_event, fingerprint, pledge_event

NOW = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def body(**overrides: object) -> PledgeIn:
    fields: dict[str, object] = {
        "region": "74.71",
        "amount_idr": 201_600,
        "months": 12,
        "package": "JKK_JKM",
        "valid_from": "2026-01-05",
        "valid_until": "2026-04-05",
    }
    fields.update(overrides)
    return PledgeIn.model_validate(fields)


def test_a_pledge_is_the_keys_sponsors_with_ids_derived_from_sponsor_and_key() -> None:
    event = pledge_event(body(), sponsor_id="dealer-kendari", idempotency_key="k1", now=NOW)
    again = pledge_event(
        body(), sponsor_id="dealer-kendari", idempotency_key="k1", now=NOW + timedelta(hours=1)
    )
    theirs = pledge_event(body(), sponsor_id="bank-sultra", idempotency_key="k1", now=NOW)
    assert (event.sponsor_id, event.payer_id, event.event_time) == ("dealer-kendari", "dealer-kendari", NOW)
    assert (event.event_id, event.pledge_id) == (again.event_id, again.pledge_id)  # a retry after a restart
    assert theirs.event_id != event.event_id and theirs.pledge_id != event.pledge_id
    assert (event.valid_from, event.targeting.districts) == (date(2026, 1, 5), None)


def test_a_pledge_id_and_payer_in_the_body_are_kept() -> None:
    event = pledge_event(
        body(pledge_id="csr-2026-q1", payer_id="dealer-foundation", targeting={"sexes": ["F"]}),
        sponsor_id="dealer-kendari",
        idempotency_key="k1",
        now=NOW,
    )
    assert (event.pledge_id, event.payer_id, event.targeting.sexes) == (
        "csr-2026-q1",
        "dealer-foundation",
        ("F",),
    )


@pytest.mark.parametrize(
    "change",
    [
        {"sponsor_id": "someone-else"},
        {"amount_idr": "201600"},
        {"amount_idr": True},
        {"amount_idr": 1.5},
        {"valid_from": 20260105},
        {"valid_until": "2025-12-31"},
        {"region": "74.71,74.72"},
    ],
)
def test_bodies_are_strict(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        body(**change)


def test_an_integral_json_number_is_an_integer() -> None:
    assert body(amount_idr=201_600.0).amount_idr == 201_600


def test_the_fingerprint_is_the_bodys_meaning_not_its_spelling() -> None:
    assert fingerprint(body(months=12)) == fingerprint(
        PledgeIn.model_validate_json(
            '{"valid_until":"2026-04-05","valid_from":"2026-01-05","package":"JKK_JKM","months":12,'
            '"amount_idr":201600,"region":"74.71"}'
        )
    )
    assert fingerprint(body(months=6)) != fingerprint(body(months=12))


def test_an_application_gets_the_receipt_time_unless_it_says_when() -> None:
    fields = {
        "nik": "7471011506850001",
        "name": "Wa Ode Contoh",
        "birth_date": "1985-06-15",
        "sex": "M",
        "regency": "74.71",
        "district": "74.71.01",
        "occupation": "fisher",
        "declared_income_idr": 1_000_000,
    }
    event = application_event(
        ApplicationIn.model_validate(fields), officer_id="desk-1", idempotency_key="a", now=NOW
    )
    assert (event.submitted_at, event.channel, event.nik) == (NOW, "officer", "7471011506850001")
    assert event.application_id.startswith("app-")
