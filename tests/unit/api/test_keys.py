"""API keys: shown once, stored hashed, checked by id, revocable on a running API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.keys import KeyFile, Role, issue
from jaring.cli import main

NOW = datetime(2026, 1, 5, tzinfo=UTC)


def test_a_key_authenticates_as_its_role_and_subject_and_is_never_stored(tmp_path: Path) -> None:
    keys = KeyFile(tmp_path / "keys.json")
    key, record = issue(Role.SPONSOR, "dealer-kendari", NOW)
    keys.add(record)
    credential = keys.authenticate(key)
    assert credential is not None
    assert (credential.role, credential.subject, credential.key_id) == (
        Role.SPONSOR,
        "dealer-kendari",
        record.key_id,
    )
    stored = keys.path.read_text()
    assert key.split("_", 2)[2] not in stored
    assert keys.path.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),  # wrong secret
        lambda k: "jk_ffffffffffff_" + k.split("_", 2)[2],  # unknown id
        lambda k: k.replace("jk_", "xx_", 1),  # not a Jaring key
        lambda k: "",
    ],
)
def test_anything_but_the_exact_key_is_refused(tmp_path: Path, mangle: object) -> None:
    keys = KeyFile(tmp_path / "keys.json")
    key, record = issue(Role.OFFICER, "kendari-desk-1", NOW)
    keys.add(record)
    assert keys.authenticate(mangle(key)) is None  # type: ignore[operator]


def test_a_revoked_key_is_refused_by_a_key_file_already_loaded(tmp_path: Path) -> None:
    serving = KeyFile(tmp_path / "keys.json")
    key, record = issue(Role.SPONSOR, "dealer-kendari", NOW)
    serving.add(record)
    assert serving.authenticate(key) is not None
    assert KeyFile(tmp_path / "keys.json").revoke(record.key_id)  # another process, e.g. the CLI
    assert serving.authenticate(key) is None


def test_jaring_keys_create_prints_the_key_once_and_list_never_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JARING_API_KEYS_FILE", str(tmp_path / "keys.json"))
    assert main(["keys", "create", "--role", "sponsor", "--sponsor-id", "dealer-kendari"]) == 0
    key = capsys.readouterr().out.strip()
    assert KeyFile(tmp_path / "keys.json").authenticate(key) is not None
    assert main(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert "dealer-kendari" in listed and key not in listed and key.split("_", 2)[2] not in listed
    assert json.loads((tmp_path / "keys.json").read_text())["keys"][0]["role"] == "sponsor"


def test_jaring_keys_create_needs_the_subject_of_its_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JARING_API_KEYS_FILE", str(tmp_path / "keys.json"))
    assert main(["keys", "create", "--role", "officer", "--sponsor-id", "dealer-kendari"]) == 2
    assert "keys_subject_missing" in capsys.readouterr().err
    assert not (tmp_path / "keys.json").exists()
