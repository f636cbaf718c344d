"""``POST /v1/life-events`` in-process: roles, the NIK turned into the pseudonym, reasons, idempotency.

The app runs without a broker (the payer desk's recorder stands in for the acknowledgement): what is
under test is the event the API builds and its answers. The real broker and worker path is
``tests/integration/api/test_life_events_end_to_end.py``.
"""

from __future__ import annotations

import logging

import pytest

from infra.settings import Settings
from models.events import LifeEventKind, LifeEventReported
from models.nik import pseudonym
from tests.unit.api.test_payments_http import Desk, code, desk

__all__ = ["desk"]

NIK = "7471015506850001"


def report(**overrides: object) -> dict[str, object]:
    return {"region": "74.71", "nik": NIK, "kind": "deceased", "effective_period": "2026-02", **overrides}


async def test_an_officer_reports_by_nik_and_the_event_carries_only_the_pseudonym(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = await desk.post("/v1/life-events", "officer", json=report())
    assert answer.status_code == 202, answer.text
    [(topic, key, event)] = desk.recorder.sent
    assert (topic, key) == ("t.life-events.v1", b"74.71")
    assert isinstance(event, LifeEventReported)
    key_bytes = Settings().pseudonym_key.get_secret_value().encode()  # the desk's settings leave it default
    assert event.worker == pseudonym(NIK, key_bytes)
    assert (event.kind, event.effective_period, event.application_id) == (
        LifeEventKind.DECEASED, "2026-02", None)
    assert answer.json() == {"event_id": event.event_id, "kind": "deceased", "status": "submitted"}
    assert NIK not in answer.text and NIK not in caplog.text and event.worker not in caplog.text
    # the same request again: the same answer, no second record
    again = await desk.post("/v1/life-events", "officer", json=report())
    assert again.json() == answer.json() and len(desk.recorder.sent) == 1


async def test_by_application_id(desk: Desk) -> None:
    body = report(nik=None, application_id="app-7471-9", kind="moved_out")
    assert (await desk.post("/v1/life-events", "officer", json=body)).status_code == 202
    [(_, _, event)] = desk.recorder.sent
    assert (event.worker, event.application_id, event.kind) == (None, "app-7471-9", LifeEventKind.MOVED_OUT)


async def test_only_officers_report_and_bad_bodies_get_machine_readable_reasons(desk: Desk) -> None:
    assert code(await desk.post("/v1/life-events", "payer", json=report())) == (403, "wrong_role")
    assert code(await desk.post("/v1/life-events", "sponsor", json=report())) == (403, "wrong_role")
    both = await desk.post("/v1/life-events", "officer", key="b", json=report(application_id="app-1"))
    neither = await desk.post("/v1/life-events", "officer", key="n", json=report(nik=None))
    ahead = await desk.post("/v1/life-events", "officer", key="a", json=report(effective_period="2026-03"))
    bad_nik = await desk.post("/v1/life-events", "officer", key="x", json=report(nik="74710155068500"))
    kind = await desk.post("/v1/life-events", "officer", key="k", json=report(kind="promoted"))
    for answer in (both, neither, ahead, bad_nik, kind):
        assert code(answer) == (422, "invalid_body")
    assert ahead.json()["errors"] == [{"field": "effective_period", "kind": "life_event_period_ahead",
                                       "problem": "after the current month: report it once it happened"}]
    assert [e["field"] for e in bad_nik.json()["errors"]] == ["nik"]
    assert "74710155068500" not in bad_nik.text
    assert desk.recorder.sent == []
