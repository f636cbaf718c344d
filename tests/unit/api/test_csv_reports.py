"""The one CSV reader every upload uses: whole-file refusals, row problems, and values that round-trip."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.csv_reports import CONFIRMATIONS, PAYMENTS, CsvRefusedError, Row, RowError, read_rows

EXAMPLES = Path(__file__).parents[3] / "examples"
HEADER = "payment_id,bill_id,amount_idr,paid_on\n"
BILL = "bill:74.71:dealer-kendari:2026-01"


def refused(data: bytes, max_rows: int = 100) -> str:
    with pytest.raises(CsvRefusedError) as caught:
        read_rows(data, PAYMENTS, max_rows=max_rows)
    return caught.value.code


def test_the_example_files_in_the_readme_read_as_all_valid_rows() -> None:
    payments = read_rows((EXAMPLES / "payment-report.csv").read_bytes(), PAYMENTS, max_rows=10)
    assert [r.values["amount_idr"] for r in payments if isinstance(r, Row)] == [33_600, 16_800]
    confirmations = read_rows(
        (EXAMPLES / "registration-confirmations.csv").read_bytes(), CONFIRMATIONS, max_rows=10
    )
    assert all(isinstance(r, Row) for r in confirmations) and len(confirmations) == 2


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "csv_empty"),
        (b"\n\n  \n", "csv_empty"),
        (HEADER.encode(), "csv_empty"),
        (b"payment_id,bill_id,amount_idr\nTX1,b,1\n", "csv_column_missing"),
        (b"payment_id,bill_id,amount,paid_on\nTX1,b,1,2026-01-01\n", "csv_header_invalid"),
        (b"payment_id,bill_id,amount_idr,paid_on,paid_on\n", "csv_header_invalid"),
        (b"TX1,bill:74.71:a:2026-01,100,2026-02-01\n", "csv_header_invalid"),
        (HEADER.encode() + b"TX1,\xff\xfe,1,2026-01-01\n", "csv_encoding_invalid"),
        (HEADER.encode() + b'TX1,"bill,1,2026-01-01\n', "csv_malformed"),
        (HEADER.encode() + b"TX1,b\x00,1,2026-01-01\n", "csv_malformed"),
    ],
)
def test_a_file_that_breaks_a_whole_file_rule_is_refused_with_its_code(data: bytes, code: str) -> None:
    assert refused(data) == code


def test_more_rows_than_the_limit_is_refused_and_the_limit_itself_is_not() -> None:
    rows = "".join(f"TX{i},{BILL},16800,2026-02-10\n" for i in range(3))
    assert refused((HEADER + rows).encode(), max_rows=2) == "csv_too_many_rows"
    assert len(read_rows((HEADER + rows).encode(), PAYMENTS, max_rows=3)) == 3


def test_each_bad_row_names_its_line_column_and_reason_and_the_good_rows_still_count() -> None:
    data = (
        "\ufeff paid_on , amount_idr,bill_id,payment_id\n"  # BOM, any order, spaces around names
        f"2026-02-10,16800,{BILL},TX1\n"
        "\n"
        f"2026-02-10,16.800,{BILL},TX2\n"
        f"10/02/2026,16800,{BILL},TX3\n"
        f"2026-02-10,0,{BILL},TX4\n"
        f"2026-02-10,16800,{BILL},\n"
        f"2026-02-10,16800,{BILL},TX1\n"
        f"2026-02-10,16800,{BILL}\n"
        f'2026-02-30,"16800",{BILL},TX5\n'
        f"2026-02-10,16800,{BILL},bad:id\n"
    ).encode()
    rows = read_rows(data, PAYMENTS, max_rows=100)
    assert rows[0] == Row(
        2, {"paid_on": date(2026, 2, 10), "amount_idr": 16_800, "bill_id": BILL, "payment_id": "TX1"}
    )
    problems = [(r.line, r.column, r.reason) for r in rows if isinstance(r, RowError)]
    assert problems == [
        (4, "amount_idr", "not_a_positive_integer"),
        (5, "paid_on", "not_a_date"),
        (6, "amount_idr", "not_a_positive_integer"),
        (7, "payment_id", "required"),
        (8, "payment_id", "repeated_in_file"),
        (9, None, "wrong_field_count"),
        (10, "paid_on", "not_a_date"),
        (11, "payment_id", "not_an_id"),
    ]
    assert all(
        "16.800" not in r.problem and "bad:id" not in r.problem for r in rows if isinstance(r, RowError)
    )


def test_a_membership_number_is_8_to_16_digits() -> None:
    head = "coverage_id,membership_number,start_date\n"
    data = (
        head + "c:1,1234567,2026-01-06\nc:2,12345678,2026-01-06\nc:3,12345678901234567,2026-01-06\n"
    ).encode()
    reasons = [
        r.reason if isinstance(r, RowError) else "ok" for r in read_rows(data, CONFIRMATIONS, max_rows=9)
    ]
    assert reasons == ["not_a_membership_number", "ok", "not_a_membership_number"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_are_rows_or_a_refusal_never_a_crash(data: bytes) -> None:
    try:
        rows = read_rows(HEADER.encode() + data, PAYMENTS, max_rows=50)
    except CsvRefusedError as exc:
        assert exc.code.startswith("csv_")
        return
    assert all(isinstance(r, Row | RowError) for r in rows)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_rows_or_a_refusal_never_a_crash(text: str) -> None:
    try:
        read_rows(text.encode("utf-8", "surrogatepass"), CONFIRMATIONS, max_rows=50)
    except CsvRefusedError as exc:
        assert exc.code.startswith("csv_")


_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)
_bill = (
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=60)
    .map(str.strip)
    .filter(bool)
)
_payment = st.tuples(_ids, _bill, st.integers(1, 10**14), st.dates(date(2000, 1, 1), date(2099, 12, 31)))


@settings(max_examples=200, deadline=None)
@given(st.lists(_payment, min_size=1, max_size=20, unique_by=lambda p: p[0]))
def test_rows_written_by_a_csv_writer_read_back_as_the_same_values(
    payments: list[tuple[str, str, int, date]],
) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["payment_id", "bill_id", "amount_idr", "paid_on"])
    writer.writerows((p, b, a, d.isoformat()) for p, b, a, d in payments)
    rows = read_rows(out.getvalue().encode(), PAYMENTS, max_rows=20)
    assert [tuple(r.values.values()) if isinstance(r, Row) else r for r in rows] == payments
