"""Every problem code the API's code can answer is in the README's table, and nothing else is.

The codes are read from the source (every ``ProblemError(status, "code", ...)``
in ``api/``), so a new refusal cannot ship undocumented, and a documented
code that no code path produces any more fails too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from api.problems import _TITLES

ROOT = Path(__file__).parents[3]
ANY_4XX = "4xx"


def produced() -> set[tuple[str, str]]:
    """(status, code) of every ProblemError the api package constructs; status ``4xx`` if computed."""
    found: set[tuple[str, str]] = set()
    for path in sorted((ROOT / "api").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ProblemError"):
                continue
            status, code = node.args[0], node.args[1]
            where = f"{path.name}:{node.lineno}"
            assert isinstance(code, ast.Constant) and isinstance(code.value, str), (
                f"{where}: a problem code must be a string literal, so it can be documented"
            )
            if isinstance(status, ast.Constant) and isinstance(status.value, int):
                found.add((str(status.value), code.value))
            else:
                found.add((ANY_4XX, code.value))
    return found


def readme_table() -> set[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("Errors are `application/problem+json`")
    rows = re.findall(r"^\| (\d{3}|\dxx) \| ([^|]+) \|", text[start:].split("\n\n", 2)[1], re.MULTILINE)
    assert rows, "the README's problem table was not found after 'Errors are `application/problem+json`'"
    return {(status, code) for status, codes in rows for code in re.findall(r"`([a-z_]+)`", codes)}


def docstring_table() -> set[tuple[str, str]]:
    doc = (ROOT / "api" / "problems.py").read_text(encoding="utf-8").split('"""', 2)[1]
    return set((s, c) for c, s in re.findall(r"^``([a-z_]+)``\s+(\d{3}|\dxx)\s", doc, re.MULTILINE))


def test_the_code_finds_the_problems_it_should() -> None:
    codes = produced()
    # A few that are raised in very different places: middleware, handlers, routes, submission.
    assert {("401", "unauthenticated"), ("415", "unsupported_media_type"), ("500", "internal_error"),
            ("409", "idempotency_key_in_flight"), ("400", "body_too_deep"), ("404", "not_found")} <= codes


def test_every_problem_the_api_can_answer_is_in_the_readme_table_and_nothing_else() -> None:
    codes, documented = produced(), readme_table()
    assert codes - documented == set(), "answered but not in the README's problem table"
    assert documented - codes == set(), "in the README's problem table but never answered"


def test_the_problems_module_lists_the_same_codes() -> None:
    assert docstring_table() == produced()


def test_every_status_answered_has_a_title() -> None:
    assert {int(s) for s, _ in produced() if s != ANY_4XX} <= set(_TITLES)
