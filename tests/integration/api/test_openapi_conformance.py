"""Schemathesis against the committed OpenAPI document and a live API on a real broker.

Generated requests (valid and invalid) must never get a 5xx, and every answer
must match the document: status, content type, headers and body schema.
Examples are bounded so the run stays well under a minute.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import ValidationError

from api.bodies import PledgeIn
from api.intake import pledge_event
from api.webhook_bodies import ReplayIn
from infra.settings import Settings
from models.eligibility import KENDARI, check_pledge_bounds
from models.periods import period_of
from models.tariff import BPU_TARIFF
from models.webhooks.addresses import url_problem
from tests.integration.api.conftest import RECEIVED, ApiFactory, Keys, RunningApi, auth

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.slow,
    # Hypothesis compares the global `random` state around each draw; the API
    # runs in a thread here, and aiokafka's client there draws from `random`
    # (node choice, backoff), which once failed a run as a "strategy using random".
    pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies"),
]

COMMITTED = Path(__file__).parents[3] / "api" / "openapi.json"
schema = schemathesis.openapi.from_dict(json.loads(COMMITTED.read_text(encoding="utf-8")))


@pytest.fixture
def served(api_factory: ApiFactory, settings: Settings) -> RunningApi:
    # Generous rates, keyed and anonymous (schemathesis also sends bad credentials, expecting
    # 401): this test is about the contract, not the limiters.
    return api_factory(
        settings, api_rate_burst=10_000, api_rate_per_s=10_000.0,
        api_anonymous_rate_burst=10_000, api_anonymous_rate_per_s=10_000.0,
    )


@schema.hook
def filter_body(context: object, body: object) -> bool:
    """Rules JSON Schema cannot say, refused (422): a validity window that ends before it starts,
    a pledge whose amount buys more seats than the city's bound (``check_pledge_bounds``), a webhook
    URL that is not public https (``url_problem``), a replay that names nothing or ends before it
    starts."""
    if isinstance(body, dict) and set(body) == {"url"} and isinstance(body["url"], str):
        return url_problem(body["url"], allow_private=False) is None
    if isinstance(body, dict) and set(body) <= {"since", "until", "parked"}:
        try:
            replay = ReplayIn.model_validate(body)
        except ValidationError:
            return True
        if replay.since is None and not replay.parked:
            return False
        return not (replay.since is not None and replay.until is not None and replay.until < replay.since)
    if (
        isinstance(body, dict)
        and isinstance(body.get("valid_from"), str)
        and isinstance(body.get("valid_until"), str)
        and body["valid_from"] > body["valid_until"]
    ):
        return False
    return _within_seat_bound(body)


@schema.hook
def filter_query(context: object, query: object) -> bool:
    """A rule a schema cannot say, refused (422): a statement's range whose `to` is before its `from`."""
    if isinstance(query, dict) and isinstance(query.get("from"), str) and isinstance(query.get("to"), str):
        return not query["to"] < query["from"]
    return True


def _within_seat_bound(body: object) -> bool:
    try:
        pledge = PledgeIn.model_validate(body)
    except ValidationError:
        return True  # not a valid pledge body: the document alone decides its answer
    event = pledge_event(pledge, sponsor_id="schemathesis", idempotency_key="k", now=RECEIVED)
    return check_pledge_bounds(event, KENDARI, BPU_TARIFF, period_of(RECEIVED)) is None


def fresh_idempotency_key(case: schemathesis.Case) -> None:
    """A new request gets a new key, as a client would do; a generated key may repeat across
    bodies, which the API rightly refuses (422 idempotency_key_reused), not what this tests."""
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and 1 <= len(key) <= 255:
        case.headers["Idempotency-Key"] = f"{uuid.uuid4()}"


@schema.exclude(path_regex="^/v1/(applications|regions)").parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_sponsor_operations_match_the_document(
    case: schemathesis.Case, served: RunningApi, keys: Keys
) -> None:
    fresh_idempotency_key(case)
    case.call_and_validate(base_url=served.url, headers=auth(keys.sponsor_a))


@schema.include(path_regex="^/v1/(applications|regions)").parametrize()  # writes, desk, city report
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_officer_operations_match_the_document(
    case: schemathesis.Case, served: RunningApi, keys: Keys
) -> None:
    fresh_idempotency_key(case)
    case.call_and_validate(base_url=served.url, headers=auth(keys.officer))
