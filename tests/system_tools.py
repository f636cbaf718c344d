"""Programs the tests need from the machine, which ``make test`` installs (``deploy/system-packages.sh``)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["pdf_text", "system_tool"]


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


def pdf_text(pdf: bytes, where: Path) -> str:
    """Render ``pdf``'s first page to PNG (it must draw), then read its text (poppler-utils)."""
    where.mkdir(parents=True, exist_ok=True)
    pdf_file = where / "read.pdf"
    pdf_file.write_bytes(pdf)
    subprocess.run([system_tool("pdftoppm"), "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf_file),
                    str(where / "page")], check=True, timeout=60)
    page = next(where.glob("page*.png"))
    assert page.read_bytes().startswith(b"\x89PNG") and page.stat().st_size > 1000
    done = subprocess.run([system_tool("pdftotext"), "-layout", str(pdf_file), "-"], check=True,
                          capture_output=True, timeout=60)
    return done.stdout.decode()
