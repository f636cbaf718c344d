"""The statement's PDF (``format=pdf``) over HTTP, rendered to an image by poppler's ``pdftoppm`` and its
text read back with ``pdftotext``: Indonesian by default, English on request, the JSON's figures."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.unit.api.test_statements_http import Statements, api

__all__ = ["api"]

_POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext")
pytestmark = pytest.mark.skipif(  # under CI=true a missing poppler is a broken machine: the test fails
    not _POPPLER and os.environ.get("CI") != "true",
    reason="poppler-utils missing: run deploy/system-packages.sh",
)


def _text(pdf: bytes, where: Path) -> str:
    """Render the first page to PNG (it must draw), then read the PDF's text."""
    (where / "s.pdf").write_bytes(pdf)
    pdf_file = str(where / "s.pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", pdf_file, str(where / "p")],
                   check=True, timeout=60)
    page = next(where.glob("p*.png"))
    assert page.read_bytes().startswith(b"\x89PNG") and page.stat().st_size > 1000
    done = subprocess.run(["pdftotext", "-layout", pdf_file, "-"], check=True, capture_output=True,
                          timeout=60)
    return done.stdout.decode()


async def test_the_pdf_says_the_jsons_figures_in_indonesian_or_english(
    api: Statements, tmp_path: Path
) -> None:
    query = {"from": "2025-01-01", "to": "2025-02-28"}
    path = "/v1/sponsors/me/statement"
    figures = (await api.desk.call("GET", path, "sponsor", params=query)).json()["total"]
    r = await api.desk.call("GET", path, "sponsor", params={**query, "format": "pdf"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = _text(r.content, tmp_path)
    assert "Laporan Sponsor" in text and "01/01/2025 s.d. 28/02/2025" in text and "dealer-kendari" in text
    billed = f"Rp {figures['billed_idr']:,}".replace(",", ".")
    assert figures["billed_idr"] > 0 and billed in text
    assert f"Rp {figures['pledged_idr']:,}".replace(",", ".") in text
    assert "Pekerja terlindungi" in text and "Sponsor Statement" not in text

    english = tmp_path / "en"
    english.mkdir()
    r = await api.desk.call("GET", path, "sponsor", params={**query, "format": "pdf", "lang": "en"})
    text = _text(r.content, english)
    assert "Sponsor Statement" in text and "2025-01-01 to 2025-02-28" in text
    assert f"Rp {figures['billed_idr']:,}" in text and "Workers covered" in text

    again = await api.desk.call("GET", path, "sponsor", params={**query, "format": "pdf", "lang": "en"})
    assert again.content == r.content  # no wall clock in it

    other = tmp_path / "other"
    other.mkdir()
    r = await api.desk.call("GET", path, "other", params={**query, "format": "pdf"})
    assert r.status_code == 200 and "dealer-kendari" not in _text(r.content, other)
