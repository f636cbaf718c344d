"""The statement's PDF (``format=pdf``) over HTTP, rendered to an image by poppler's ``pdftoppm`` and its
text read back with ``pdftotext``: Indonesian by default, English on request, the JSON's figures."""

from __future__ import annotations

from pathlib import Path

from tests.system_tools import pdf_text
from tests.unit.api.test_statements_http import Statements, api

__all__ = ["api"]





async def test_the_pdf_says_the_jsons_figures_in_indonesian_or_english(
    api: Statements, tmp_path: Path
) -> None:
    query = {"from": "2025-01-01", "to": "2025-02-28"}
    path = "/v1/sponsors/me/statement"
    figures = (await api.desk.call("GET", path, "sponsor", params=query)).json()["total"]
    r = await api.desk.call("GET", path, "sponsor", params={**query, "format": "pdf"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content, tmp_path)
    assert "Laporan Sponsor" in text and "01/01/2025 s.d. 28/02/2025" in text and "dealer-kendari" in text
    billed = f"Rp {figures['billed_idr']:,}".replace(",", ".")
    assert figures["billed_idr"] > 0 and billed in text
    assert f"Rp {figures['pledged_idr']:,}".replace(",", ".") in text
    assert "Pekerja terlindungi" in text and "Sponsor Statement" not in text

    english = tmp_path / "en"
    english.mkdir()
    r = await api.desk.call("GET", path, "sponsor", params={**query, "format": "pdf", "lang": "en"})
    text = pdf_text(r.content, english)
    assert "Sponsor Statement" in text and "2025-01-01 to 2025-02-28" in text
    assert f"Rp {figures['billed_idr']:,}" in text and "Workers covered" in text

    again = await api.desk.call("GET", path, "sponsor", params={**query, "format": "pdf", "lang": "en"})
    assert again.content == r.content  # no wall clock in it

    other = tmp_path / "other"
    other.mkdir()
    r = await api.desk.call("GET", path, "other", params={**query, "format": "pdf"})
    assert r.status_code == 200 and "dealer-kendari" not in pdf_text(r.content, other)
