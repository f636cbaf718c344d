"""The matcher builds its outputs without validating them (``models.trusted``): prove they are valid.

Every output of the golden adversarial log (every output type and rejection
path the matcher has, ``test_matcher_golden``) and of the Kendari programme
must come back from a strict ``model_validate`` of its own dump as the same
event: the same fields, of the same types (a ``StrEnum`` where validation
would store a plain ``str`` is a difference), in the same order, with the
same fields set, and the same wire bytes through ``models.codec``. An
invalid construction (a negative amount, a naive time, a missing field, a
value of the wrong type) fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from models.codec import decode, encode
from models.eligibility import CityPolicy
from models.events import InputEvent, OutputEvent, PledgeExhausted
from models.matcher import RegionMatcher
from models.priority import Priority, explain
from models.trusted import trusted
from tests.unit.models.test_matcher_golden import KEY, POLICY, REGION, adversarial, kendari_log


def _same(built: BaseModel, validated: BaseModel, where: str, *, fields_set: bool = True) -> None:
    """Field by field, type-exact, recursing into nested models."""
    assert type(built) is type(validated), where
    assert list(built.__dict__) == list(validated.__dict__), where
    if fields_set:
        assert built.model_fields_set == validated.model_fields_set, where
    for name, value in built.__dict__.items():
        other = validated.__dict__[name]
        assert type(value) is type(other), f"{where}.{name}: {type(value)} != {type(other)}"
        if isinstance(value, BaseModel):
            _same(value, other, f"{where}.{name}", fields_set=fields_set)
        else:
            assert value == other, f"{where}.{name}"
            if isinstance(value, datetime):
                assert value.tzinfo is UTC, f"{where}.{name}"


def _check(outputs: list[OutputEvent]) -> None:
    for out in outputs:
        where = out.event_id
        dumped: dict[str, Any] = out.model_dump(mode="python")
        validated = type(out).model_validate(dumped, strict=True)
        _same(out, validated, where, fields_set=False)  # a dump sets every field, defaults included
        # what was set explicitly is what a constructor call was given: validate those alone too
        given = {name: dumped[name] for name in out.model_fields_set}
        _same(out, type(out).model_validate(given, strict=True), where)
        wire = encode(out)
        assert decode(wire) == out, where
        assert encode(validated) == wire, where


def _run(log: list[InputEvent], policy: CityPolicy) -> set[str]:
    m = RegionMatcher(REGION, KEY, policy)
    types: set[str] = set()
    for event in log:
        outputs = m.handle(event).outputs
        _check(outputs)
        types.update(out.type for out in outputs)
    return types


def test_every_output_of_the_adversarial_log_is_what_validation_would_have_built() -> None:
    types = _run(list(adversarial(15, 3000)), POLICY)
    assert len(types) >= 20  # the log reaches (almost) every output type: the check is worth something


def test_every_output_of_the_kendari_programme_is_what_validation_would_have_built() -> None:
    _run(kendari_log(), CityPolicy())


def test_a_priority_explained_is_a_validated_priority() -> None:
    p = explain((100, 45, 40, 20), 1_000, 1_000 + 3 * 172_800, CityPolicy().priority)
    _same(p, Priority.model_validate(p.model_dump(), strict=True), "priority")  # no defaults: all set
    assert p.waited == 3 and p.score == 208


def test_a_builder_refuses_a_missing_or_unknown_field_as_validation_would() -> None:
    build = trusted(PledgeExhausted)
    fields: dict[str, Any] = {
        "event_id": "pledge.exhausted:s:p", "event_time": datetime(2025, 1, 1, tzinfo=UTC),
        "region": REGION, "period": "2025-01", "pledge_id": "p", "sponsor_id": "s", "seats": 3,
    }
    built = build(**fields)
    _same(built, PledgeExhausted(**fields), "exhausted")
    assert encode(built) == encode(PledgeExhausted(**fields))
    with pytest.raises(TypeError, match="missing \\['seats'\\]"):
        build(**{k: v for k, v in fields.items() if k != "seats"})
    with pytest.raises(TypeError, match="unknown \\['colour'\\]"):
        build(**fields, colour="red")  # type: ignore[call-arg]


def test_only_models_without_value_changing_hooks_may_be_trusted() -> None:
    class Hooked(BaseModel):
        x: int = 0

        def model_post_init(self, context: Any, /) -> None:
            pass

    with pytest.raises(TypeError, match="model_post_init"):
        trusted(Hooked)
    with pytest.raises(TypeError, match="pydantic models"):
        trusted(dict)
