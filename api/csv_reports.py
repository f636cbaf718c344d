"""The CSV files payers' desks upload: BPJS's payment reports and registration confirmations.

One reader for every upload, so every upload follows the same rules:

- UTF-8 (a byte-order mark is allowed: spreadsheets write one), comma
  separated, fields quoted as RFC 4180 says when they need it;
- a header row naming exactly the layout's columns, in any order
  (surrounding spaces ignored, names compared case-sensitively);
- at least one data row, at most ``max_rows``; blank lines are skipped;
- each field is trimmed, then checked against its column's rule.

A file that breaks a rule of the whole (not UTF-8, not CSV, no header, a
wrong header, no rows, too many rows) is refused as a whole (``CsvRefused``,
a 422 with a code). A row that breaks a column's rule is reported ``invalid``
with the column and a reason code, and the file's other rows still count:
each valid row becomes exactly one event, so a row is applied whole or not
at all. Values are never echoed back in a row's problem.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import TypeAdapter, ValidationError

from models.events import Identifier, MembershipNumber
from models.regions import RegencyCode

__all__ = [
    "CONFIRMATIONS",
    "PAYMENTS",
    "Column",
    "CsvRefusedError",
    "Layout",
    "Row",
    "RowError",
    "read_rows",
]


class CsvRefusedError(Exception):
    """The file as a whole cannot be read: a stable ``code`` and a sentence that says what to do."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code, self.detail = code, detail


@dataclass(frozen=True)
class Column:
    """One column: its name, how a trimmed field becomes a value, and the reason code when it cannot."""

    name: str
    parse: Callable[[str], Any]
    """Returns the value, or raises ``ValueError``."""
    reason: str
    rule: str
    """The rule in words, for a row's problem sentence (never the value sent)."""


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of upload; ``key`` names the column whose value must not repeat."""

    name: str
    columns: tuple[Column, ...]
    key: str

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class Row:
    """A valid row: its line in the file (the header is line 1) and its values by column."""

    line: int
    values: Mapping[str, Any]


@dataclass(frozen=True)
class RowError:
    """An invalid row: the line, the column at fault (None for the row as a whole), a code, a sentence."""

    line: int
    column: str | None
    reason: str
    problem: str


def _adapted(adapter: TypeAdapter[Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return adapter.validate_python(text)
        except ValidationError:
            raise ValueError("does not match the rule") from None

    return parse


_DIGITS = re.compile(r"[0-9]{1,15}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def positive_rupiah(text: str) -> int:
    """Whole rupiah as plain digits: no sign, separator, decimal point or exponent (1.500 is ambiguous)."""
    if not _DIGITS.fullmatch(text) or int(text) == 0:
        raise ValueError("not a positive whole number of rupiah")
    return int(text)


def iso_date(text: str) -> date:
    """A calendar date written YYYY-MM-DD, and nothing else (no times, no 20260105)."""
    if not _ISO_DATE.fullmatch(text):
        raise ValueError("not YYYY-MM-DD")
    return date.fromisoformat(text)


def _text(max_length: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > max_length:
            raise ValueError("too long")
        return text

    return parse


_ID = Column("payment_id", _adapted(TypeAdapter(Identifier)), "not_an_id",
             "1-64 letters, digits, '.', '_' or '-', starting with a letter or a digit")
PAYMENTS = Layout(
    name="payment report",
    columns=(
        _ID,
        Column("bill_id", _text(300), "not_a_bill_id",
               "the bill's reference, bill:{region}:{payer}:{period}"),
        Column("amount_idr", positive_rupiah, "not_a_positive_integer",
               "whole rupiah in plain digits, more than 0 (no dots, commas or decimals)"),
        Column("paid_on", iso_date, "not_a_date", "a date written YYYY-MM-DD"),
    ),
    key="payment_id",
)
"""BPJS's payment report, as a payer's desk exports it: one row per transfer."""

CONFIRMATIONS = Layout(
    name="registration confirmations",
    columns=(
        Column("coverage_id", _text(300), "not_a_coverage_id",
               "the coverage_id of the registration request, as sent (at most 300 characters)"),
        Column("membership_number", _adapted(TypeAdapter(MembershipNumber)), "not_a_membership_number",
               "BPJS's membership number (KPJ): 8 to 16 digits"),
        Column("start_date", iso_date, "not_a_date", "a date written YYYY-MM-DD"),
    ),
    key="coverage_id",
)
"""BPJS's answer to a registration list: one row per worker it registered."""

REGENCY: TypeAdapter[str] = TypeAdapter(RegencyCode)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvRefusedError(
            "csv_encoding_invalid", "save the file as UTF-8 (CSV UTF-8 in a spreadsheet) and upload it again"
        ) from None


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Every non-blank record with the line it starts on; ``csv_malformed`` when it is not CSV."""
    if "\x00" in text:
        raise CsvRefusedError("csv_malformed", "the file holds NUL bytes: it is not a CSV text file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    out: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for record in reader:
            if any(field.strip() for field in record):
                out.append((line, record))
            line = reader.line_num + 1
    except csv.Error:
        raise CsvRefusedError(
            "csv_malformed",
            f"line {reader.line_num} is not valid CSV (a stray or unclosed quote?); fix it and upload again",
        ) from None
    return out


def _check_header(layout: Layout, header: Sequence[str]) -> list[str]:
    names = [h.strip() for h in header]
    expected = ", ".join(layout.header)
    missing = [c for c in layout.header if c not in names]
    unknown = [n for n in names if n not in layout.header]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if missing or unknown or repeated:
        code = "csv_column_missing" if missing and not unknown and not repeated else "csv_header_invalid"
        said = "; ".join(
            part for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unknown {', '.join(unknown)}" if unknown else "",
                f"repeated {', '.join(repeated)}" if repeated else "",
            ) if part
        )
        raise CsvRefusedError(
            code, f"the first line must name the columns {expected} (any order): {said}"[:500]
        )
    return names


def read_rows(data: bytes, layout: Layout, *, max_rows: int) -> list[Row | RowError]:
    """Each data row as a ``Row`` or a ``RowError``, in file order; ``CsvRefusedError`` for the file."""
    records = _records(_decode(data))
    if not records:
        raise CsvRefusedError(
            "csv_empty", f"the file is empty; send a header line ({', '.join(layout.header)}) and one "
            f"row per line of the {layout.name}"
        )
    (_, header), rows = records[0], records[1:]
    names = _check_header(layout, header)
    if not rows:
        raise CsvRefusedError(
            "csv_empty", f"the file has a header and no rows; add one row per line of the {layout.name}"
        )
    if len(rows) > max_rows:
        raise CsvRefusedError(
            "csv_too_many_rows", f"the file has {len(rows)} rows, over the limit of {max_rows}; split it"
        )
    by_name = {c.name: c for c in layout.columns}
    seen: dict[Any, int] = {}
    out: list[Row | RowError] = []
    for line, record in rows:
        out.append(_row(line, record, names, by_name, layout.key, seen))
    return out


def _row(
    line: int, record: list[str], names: list[str], columns: Mapping[str, Column], key: str,
    seen: dict[Any, int],
) -> Row | RowError:
    if len(record) != len(names):
        return RowError(
            line, None, "wrong_field_count",
            f"line {line} has {len(record)} fields, the header {len(names)}; check for a stray comma",
        )
    values: dict[str, Any] = {}
    for name, field in zip(names, record, strict=True):
        column, text = columns[name], field.strip()
        if not text:
            return RowError(line, name, "required", f"{name} is empty; it must be {column.rule}")
        try:
            values[name] = column.parse(text)
        except ValueError:
            return RowError(line, name, column.reason, f"{name} must be {column.rule}")
    first = seen.setdefault(values[key], line)
    if first != line:
        return RowError(
            line, key, "repeated_in_file", f"{key} repeats line {first}; a transfer or registration "
            "appears once per file",
        )
    return Row(line, values)
