"""Docstrings and comments cite only documents the repository holds, and sections those documents have.

A citation of a page a newcomer cannot open (the design card outside the
repository, a file since renamed) sends them nowhere; this test fails on one.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("models", "streams", "infra", "api", "dashboard", "jaring", "deploy", "benchmarks", "tests")
CITATION = re.compile(r"(?<![\w/.-])([\w./-]+\.md)\b(?:, ([A-Z][\w ,'-]*?)[)\n])?")
"""A path ending in ``.md``, optionally followed by ``, Section`` (how docstrings cite a section)."""


def python_files() -> list[Path]:
    """Jaring's Python files but this one, whose examples cite pages on purpose."""
    found = (p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))
    return sorted(p for p in found if "__pycache__" not in p.parts and p != Path(__file__).resolve())


def headings(page: Path) -> set[str]:
    return {line.lstrip("#").strip() for line in page.read_text().splitlines() if line.startswith("#")}


def citations(text: str) -> list[tuple[str, str | None]]:
    return [(m.group(1), m.group(2)) for m in CITATION.finditer(text)]


def test_the_citation_pattern_reads_a_page_and_its_section() -> None:
    cited = citations("rules (docs/domain.md, Funding over time):")
    assert cited == [("docs/domain.md", "Funding over time")]
    assert citations("see ARCHITECTURE.md for the map") == [("ARCHITECTURE.md", None)]
    assert citations("(DESIGN.md, Money)") == [("DESIGN.md", "Money")]


def test_every_cited_page_and_section_is_in_the_repository() -> None:
    missing: list[str] = []
    for source in python_files():
        for page, section in citations(source.read_text()):
            here = next((p for p in (ROOT / page, source.parent / page) if p.is_file()), None)
            where = source.relative_to(ROOT)
            if here is None:
                missing.append(f"{where}: {page} is not in the repository")
            elif section is not None and not any(h.startswith(section) for h in headings(here)):
                missing.append(f"{where}: {page} has no section {section!r}")
    assert not missing, "\n".join(missing)


def test_the_domain_page_holds_the_sections_the_code_cites() -> None:
    cited = {
        section
        for source in python_files()
        for page, section in citations(source.read_text())
        if page == "docs/domain.md" and section
    }
    assert {"Money", "Workers", "Funding over time"} <= cited
