"""Programs the tests need from the machine, which ``make test`` installs (``deploy/system-packages.sh``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

__all__ = ["system_tool"]


def system_tool(name: str, *also: str) -> str:
    """The path of ``name`` (or of the first of ``also`` that exists).

    Missing, a test skips on a developer's machine but fails whenever ``CI``
    is set: CI must never go green by skipping.
    """
    found = shutil.which(name) or next((path for path in also if Path(path).exists()), None)
    if found is None:
        reason = f"{name} missing: run deploy/system-packages.sh as root, which installs it"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found
