"""``models.trusted.adopt``: the bare builder refuses what a constructor would refuse, once, when made,
and builds what validation builds (every close's ``bill.line`` is built this way: the round trip of
every golden output in ``test_trusted_outputs`` keeps its values honest)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.events import BillLine
from models.trusted import adopt

FIELDS = {
    "schema_version": 1, "event_id": "bill.line:b:c", "event_time": datetime(2025, 2, 1, tzinfo=UTC),
    "region": "74.71", "period": "2025-01", "type": "bill.line", "bill_id": "b", "line_no": 1,
    "payer_id": "payer-1", "coverage_id": "c", "worker": "w_1", "membership_number": "12345678",
    "pledge_id": "p1", "sponsor_id": "s1", "months": 1, "amount_idr": 16_800, "discount": None,
}
GIVEN = [name for name in FIELDS if name not in ("schema_version", "type")]


def test_a_bare_build_is_the_validated_model() -> None:
    built = adopt(BillLine, GIVEN)(dict(FIELDS))
    validated = BillLine(**{name: FIELDS[name] for name in GIVEN})
    assert built == validated
    assert list(built.__dict__) == list(validated.__dict__)
    assert built.model_fields_set == validated.model_fields_set


@pytest.mark.parametrize("given", [
    [name for name in GIVEN if name != "amount_idr"],  # a required field not given
    [*GIVEN, "nonsense"],  # not a field
], ids=["missing", "unknown"])
def test_a_builder_that_names_the_fields_wrongly_is_refused_when_made(given: list[str]) -> None:
    with pytest.raises(TypeError, match="BillLine"):
        adopt(BillLine, given)
