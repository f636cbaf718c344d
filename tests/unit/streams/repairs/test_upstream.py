"""Each upstream method a repair copies, overrides or reaches into is still the source it was written for.

An upgrade of Faust, mode or aiokafka that changes one of them fails here,
naming the repair to re-check and how (``streams.repairs.upstream``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from streams.repairs import upstream
from streams.repairs.upstream import PINS, RECORDED, Pin, drift

ROOT = Path(__file__).resolve().parents[4]


@pytest.mark.parametrize("pin", PINS, ids=[pin.target for pin in PINS])
def test_the_installed_upstream_source_is_the_one_the_repair_was_written_against(pin: Pin) -> None:
    changed = drift(pin)
    assert changed is None, changed


def test_every_pin_is_recorded_once_and_every_record_belongs_to_a_pin() -> None:
    targets = [pin.target for pin in PINS]
    assert len(targets) == len(set(targets))
    assert set(targets) == set(RECORDED)


def test_every_repair_module_is_pinned_and_every_pin_names_a_repair_and_tests_that_exist() -> None:
    repairs = {f"streams/repairs/{p.name}" for p in (ROOT / "streams" / "repairs").glob("*.py")}
    repairs -= {"streams/repairs/__init__.py", "streams/repairs/upstream.py"}
    assert {pin.repair for pin in PINS} == repairs
    for pin in PINS:
        named = re.findall(r"tests/[\w/]+\.py|tests/chaos/", pin.recheck)
        assert named, f"{pin.target}: the re-check names no test"
        assert all((ROOT / path).exists() for path in named), (pin.target, named)


def test_a_changed_source_names_its_repair_the_versions_and_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pin = PINS[0]
    sha256, version = RECORDED[pin.target]
    monkeypatch.setitem(upstream.RECORDED, pin.target, ("0" * 64, "0.15.0"))

    message = drift(pin)

    assert message is not None
    assert message.startswith(f"upstream_changed: {pin.target} ")
    assert pin.repair in message and pin.recheck in message
    assert f"faust-streaming 0.15.0 as sha256 {'0' * 12}" in message
    assert f"installed faust-streaming {version} has {sha256[:12]}" in message
    assert message.endswith("python -m streams.repairs.upstream")


def test_a_target_upstream_removed_or_moved_to_a_base_class_is_a_change() -> None:
    moved = Pin("faust.tables.recovery:Recovery.no_such_method", "streams/repairs/recovery.py", "Re-check.")
    inherited = Pin("faust.transport.drivers.aiokafka:Producer.send_soon", "streams/repairs/producer.py", "x")

    assert upstream.installed(moved)[0] == "missing"
    assert upstream.installed(inherited)[0] == "missing"  # defined on its base class, not there
    assert drift(moved) is not None


def test_the_recording_tool_prints_the_table_as_installed(capsys: pytest.CaptureFixture[str]) -> None:
    assert upstream.main() == 0

    printed = capsys.readouterr()
    assert printed.out.startswith("RECORDED: dict[str, tuple[str, str]] = {")
    for target, (sha256, version) in RECORDED.items():
        assert f'    "{target}":\n        ("{sha256}", "{version}"),' in printed.out
    assert printed.err == ""  # nothing differs from the record
