"""API keys: shown once, stored hashed, checked by id, revocable on a running API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


@pytest.mark.parametrize(
    ("role", "flag", "subject"),
    [
        ("sponsor", "--sponsor-id", "bad:id"),
        ("officer", "--officer-id", "desk 1"),
        ("sponsor", "--sponsor-id", "x" * 65),
    ],
)
def test_jaring_keys_create_refuses_an_invalid_id_in_one_line_with_a_code(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    role: str,
    flag: str,
    subject: str,
) -> None:
    monkeypatch.setenv("JARING_API_KEYS_FILE", str(tmp_path / "keys.json"))
    assert main(["keys", "create", "--role", role, flag, subject]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"keys_subject_invalid: {flag} {subject!r} is not an id; use 1-64 letters")
    assert err.count("\n") == 1
    assert not (tmp_path / "keys.json").exists()


def test_the_jaring_command_exits_2_without_a_traceback_for_an_invalid_id(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jaring", "keys", "create", "--role", "sponsor", "--sponsor-id", "bad:id"],
        env={**os.environ, "JARING_API_KEYS_FILE": str(tmp_path / "keys.json")},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        "keys_subject_invalid: --sponsor-id 'bad:id' is not an id; use 1-64 letters, digits, '.', '_' "
        "or '-', starting with a letter or a digit (no ':')"
    ]


@pytest.mark.parametrize(
    "action",
    [["list"], ["revoke", "0123456789ab"], ["create", "--role", "sponsor", "--sponsor-id", "dealer-kendari"]],
)
def test_a_key_file_broken_by_hand_is_a_one_line_error_that_quotes_nothing_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], action: list[str]
) -> None:
    broken = tmp_path / "keys.json"
    broken.write_text('{"keys": [{"key_id": "a", "salt": "5ec7e75a17"}]}')
    monkeypatch.setenv("JARING_API_KEYS_FILE", str(broken))
    assert main(["keys", *action]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"keys_file_invalid: {broken} is not a Jaring key file")
    assert "5ec7e75a17" not in err and err.count("\n") == 1
    assert broken.read_text() == '{"keys": [{"key_id": "a", "salt": "5ec7e75a17"}]}'  # left as it was
