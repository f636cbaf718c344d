"""``codec.encode`` writes a plain model's ``__dict__`` as it is: prove it writes what ``model_dump`` would.

Byte for byte, for one event of every type (``test_codec.EXAMPLES``) and for every output of the
golden logs (every output path the matcher has, the Kendari programme's closes and payments); and
a model whose serializer drops fields is never written the short way.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import field_serializer

from models import codec
from models.eligibility import CityPolicy
from models.events import CoverageExpired, InputEvent
from models.events.base import OutputBase
from models.matcher import RegionMatcher
from tests.unit.models.test_codec import EXAMPLES
from tests.unit.models.test_matcher_golden import KEY, POLICY, REGION, adversarial, kendari_log


def _same_bytes(events: list[Any]) -> None:
    for event in events:
        assert codec.encode(event) == codec.encode_dumped(event), event.event_id


def test_every_event_type_is_written_as_model_dump_would() -> None:
    _same_bytes(EXAMPLES)


@pytest.mark.parametrize(("log", "policy", "kinds"), [
    (lambda: list(adversarial(15, 1500)), POLICY, 20), (kendari_log, CityPolicy(), 12),
], ids=["adversarial", "kendari"])
def test_every_output_of_the_golden_logs_is_written_as_model_dump_would(
    log: Any, policy: CityPolicy, kinds: int
) -> None:
    m = RegionMatcher(REGION, KEY, policy)
    events: list[InputEvent] = log()
    types: list[str] = []
    for event in events:
        outputs = m.handle(event).outputs
        _same_bytes(outputs)
        types.extend(out.type for out in outputs)
    assert types.count("bill.line") > 100  # closes were reached: what a close makes by the million is here
    assert len(set(types)) >= kinds  # and the other output types the log reaches


def test_a_model_with_a_serializer_is_dumped_first() -> None:
    expired = next(e for e in EXAMPLES if isinstance(e, CoverageExpired))
    assert expired.renewal_refused is None
    assert not codec.is_plain(CoverageExpired)
    assert b"renewal_refused" not in codec.encode(expired)  # its serializer drops it; the __dict__ has it


class _Shouting(OutputBase):
    type: str = "shouting"
    word: str

    @field_serializer("word")
    def _upper(self, word: str) -> str:
        return word.upper()


def test_a_field_serializer_is_honoured() -> None:
    event = _Shouting(event_id="e", event_time=EXAMPLES[0].event_time, region=REGION, period="2025-01",
                      word="hai")
    assert not codec.is_plain(_Shouting)
    assert b'"word":"HAI"' in codec.encode(event)  # type: ignore[arg-type]
