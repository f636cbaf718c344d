"""The committed OpenAPI document is the contract sponsors build against: it must be the app's."""

from __future__ import annotations

import json
from pathlib import Path

from api.app import openapi_document

COMMITTED = Path(__file__).parents[3] / "api" / "openapi.json"


def test_the_committed_openapi_document_is_what_the_app_generates() -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == openapi_document(), (
        "api/openapi.json is stale: run `jaring api --print-openapi > api/openapi.json` and commit it"
    )


def test_every_problem_is_documented_as_problem_json_and_never_as_plain_json() -> None:
    for path in openapi_document()["paths"].values():
        for operation in path.values():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], status


def test_the_sponsor_is_never_part_of_a_pledge_body() -> None:
    schema = openapi_document()["components"]["schemas"]["PledgeIn"]
    assert "sponsor_id" not in schema["properties"]
    assert schema["additionalProperties"] is False
