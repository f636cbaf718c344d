"""The officer's desk routes in-process: the answer's fields from a matcher's story, who may ask, the
NIK's refusals, and the access record written before any answer.

The feed is bypassed (the desk and the read model are fed the story's events directly) and the
publisher is replaced by one that keeps what it is given: the records on a real broker, and the
whole path, are ``tests/integration/api/test_desk.py``'s.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.keys import KeyFile, Role, issue
from api.publisher import KafkaUnavailableError
from infra.settings import Settings
from models.codec import decode
from models.events import AccessRecorded, ApplicationSubmitted, Event, Targeting
from models.matcher import RegionMatcher
from models.nik import pseudonym
from models.occupations import Occupation
from tests.unit.factories import REGION, T0, application, confirm_all, pay_all, pledge, tick

NOW = datetime(2025, 5, 10, tzinfo=UTC)
SETTINGS = Settings(kafka_bootstrap="127.0.0.1:1")
KEY = SETTINGS.pseudonym_key.get_secret_value().encode()


@dataclass
class Kept:
    """The publisher's stand-in: the records it was given, or a broker that does not answer."""

    records: list[AccessRecorded] = field(default_factory=list)
    down: bool = False

    async def publish(self, topic: str, key: bytes, value: bytes) -> None:
        if self.down:
            raise KafkaUnavailableError("down")
        event = decode(value)
        assert isinstance(event, AccessRecorded) and key == (event.region or event.subject).encode()
        self.records.append(event)


@dataclass
class Story:
    matcher: RegionMatcher
    apps: list[ApplicationSubmitted]
    events: list[Event]


def _story() -> Story:
    """Six fishers and tailors; a pledge of two seats for fishers, confirmed and billed January to April
    (January and February paid); a pledge for anyone opening in July, two seats."""
    m = RegionMatcher(REGION, KEY)
    apps = [application(application_id=f"app-{i}", event_id=f"evt-app-{i}", serial=100 + i,
                        event_time=T0 + timedelta(minutes=i),
                        occupation=(Occupation.FISHER, Occupation.TAILOR)[i % 2]) for i in range(6)]
    events: list[Event] = []

    def run(*inputs: Any) -> None:
        for e in inputs:
            events.append(e)
            events.extend(m.handle(e).outputs)

    run(*apps, pledge(pledge_id="fishers", event_id="evt-fishers", amount_idr=2 * 16_800 * 12,
                      targeting=Targeting(occupations=(Occupation.FISHER,))))
    run(*confirm_all(m))
    run(tick("2025-01"))
    run(*pay_all(m))
    run(tick("2025-02"))
    run(*pay_all(m))
    run(tick("2025-03"), tick("2025-04"))
    run(pledge(pledge_id="later", event_id="evt-later", amount_idr=2 * 16_800 * 12,
               event_time=datetime(2025, 5, 2, tzinfo=UTC), valid_from=date(2025, 7, 1)))
    return Story(m, apps, events)


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str], Kept, Story]]:
    keys = KeyFile(tmp_path / "keys.json")
    made = {}
    for name, role, subject in (("officer", Role.OFFICER, "desk-1"), ("sponsor", Role.SPONSOR, "dealer")):
        key, record = issue(role, subject, NOW)
        keys.add(record)
        made[name] = key
    app = create_app(SETTINGS.model_copy(update={"api_keys_file": str(keys.path)}), now=lambda: NOW)
    svc = app.state.services
    story = _story()
    for event in story.events:
        svc.readmodel.apply(event)
        svc.desk.apply(event)
    kept = Kept()
    svc.publisher = kept
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        yield c, made, kept, story


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_a_covered_worker_sees_the_term_the_months_paid_and_the_benefit_clocks(desk: Any) -> None:
    c, keys, kept, story = desk
    fisher = story.apps[0]
    got = await c.get(f"/v1/applications/{fisher.application_id}", headers=bearer(keys["officer"]))
    assert got.status_code == 200, got.text
    a = got.json()
    term = story.matcher.term(a["coverage"]["coverage_id"])
    assert term is not None and term.worker == pseudonym(fisher.nik, KEY) == a["worker"]
    assert (a["status"], a["waiting"], a["rank"], a["current_period"]) == ("covered", False, None, "2025-05")
    cov = a["coverage"]
    assert (cov["state"], cov["sponsor_id"], cov["pledge_id"], cov["membership_number"],
            cov["sponsor_name"]) == ("active", term.sponsor_id, "fishers", term.membership_number, None)
    assert (cov["months_billed"], cov["months_paid"], cov["months_in_arrears"],
            cov["months_due"]) == (4, 2, 1, 1)
    assert term.months_billed == 4 and len(term.unpaid_periods) == 2
    assert (cov["membership_since"], cov["membership_months"]) == ("2025-01", 4)
    assert cov["death_benefit"] == {"threshold_months": 3, "reached": True, "reached_period": "2025-04"}
    assert cov["scholarship"] == {"threshold_months": 36, "reached": False, "reached_period": "2028-01"}
    assert [(r.resource, r.region, r.rows, r.subject, r.payer_id) for r in kept.records] == [
        ("applications", REGION, 1, "desk-1", None)]


async def test_a_waiting_worker_sees_the_rank_and_the_seats_that_admit_them(desk: Any) -> None:
    c, keys, _, story = desk
    waiting = story.matcher.waiting()
    assert len(waiting) == 4
    by_worker = {pseudonym(a.nik, KEY): a for a in story.apps}
    officer = bearer(keys["officer"])
    for place, worker in enumerate(waiting, start=1):
        app = by_worker[worker]
        found = await c.post("/v1/applications/lookup", json={"nik": app.nik}, headers=officer)
        [a] = found.json()["workers"]
        assert (a["status"], a["rank"], a["waiting_in_region"], a["application_id"]) == (
            "waiting", place, 4, app.application_id)
        fisher = app.occupation is Occupation.FISHER
        # "fishers" (2 seats, exhausted) admits fishers only; "later" (2 free seats, opens in July) anyone
        assert (a["seats_admitting"], a["free_seats_admitting"]) == ((4, 2) if fisher else (2, 2))
        assert a["priority"]["waited"] == (NOW - app.submitted_at) // timedelta(days=2)
        assert app.nik not in found.text


async def test_nik_refusals_roles_and_an_unrecorded_lookup(desk: Any) -> None:
    c, keys, kept, story = desk
    officer = bearer(keys["officer"])
    malformed = await c.post("/v1/applications/lookup", json={"nik": "7471-01-15068"}, headers=officer)
    assert malformed.status_code == 422
    assert malformed.json()["errors"] == [
        {"field": "nik", "problem": "a NIK has 16 digits, this one has 11", "kind": "nik_invalid_length"}]
    assert "7471" not in malformed.text
    impossible = await c.post("/v1/applications/lookup", json={"nik": "0071011506850001"}, headers=officer)
    unknown = await c.get("/v1/applications/app-nobody", headers=officer)
    assert [(r.status_code, r.json()["code"]) for r in (impossible, unknown)] == [(404, "not_found")] * 2
    assert [r.rows for r in kept.records] == [0, 0]  # refused as malformed: not a lookup, not recorded
    sponsor = await c.get(f"/v1/applications/{story.apps[0].application_id}", headers=bearer(keys["sponsor"]))
    assert (sponsor.status_code, sponsor.json()["code"]) == (403, "wrong_role")
    kept.down = True
    dark = await c.post("/v1/applications/lookup", json={"nik": story.apps[1].nik}, headers=officer)
    assert (dark.status_code, dark.json()["code"]) == (503, "kafka_unavailable")
    assert "worker" not in dark.json() and len(kept.records) == 2
