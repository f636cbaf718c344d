"""The payer's desk over HTTP, in-process: roles, ids, bill ownership, CSV uploads, idempotency.

The app runs without a broker; its publisher's ``publish`` is replaced by a recorder, because what
is under test is which events the API builds and when it answers, not Kafka (the end-to-end tests
in ``tests/integration/api/test_payments_*.py`` run the same routes against a real broker).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
from hypothesis import strategies as st

from api.app import create_app
from api.idempotency import IdempotencyStore
from api.keys import KeyFile, Role, issue
from api.publisher import KafkaUnavailableError
from infra.settings import Settings
from jaring.cli import main
from models.codec import decode
from models.events import PaymentReported, RefundSettled, RegistrationConfirmed, RegistrationRejected

NOW = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
BILL = "bill:74.71:dealer-kendari:2026-01"
OTHER_BILL = "bill:74.71:bank-sultra:2026-01"


@dataclass
class Recorder:
    """Stands in for the broker's acknowledgement: records (topic, key, event), or fails when told."""

    sent: list[tuple[str, bytes, Any]] = field(default_factory=list)
    fail_after: int | None = None

    async def publish(self, topic: str, key: bytes, value: bytes) -> None:
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            raise KafkaUnavailableError("told to fail")
        self.sent.append((topic, key, decode(value)))


@dataclass
class Desk:
    client: httpx.AsyncClient
    recorder: Recorder
    keys: dict[str, str]
    idempotency: IdempotencyStore

    async def post(self, path: str, who: str, key: str | None = "k1", **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[who]}", **kw.pop("headers", {})}
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post(path, headers=headers, **kw)

    async def upload(self, path: str, who: str, data: bytes, key: str = "u1", **kw: Any) -> httpx.Response:
        headers = {"Content-Type": "text/csv; charset=utf-8"}
        return await self.post(path, who, key, content=data, headers=headers, **kw)


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    file = KeyFile(tmp_path / "keys.json")
    keys = {}
    for name, role, subject in (
        ("payer", Role.PAYER, "dealer-kendari"),
        ("other_payer", Role.PAYER, "bank-sultra"),
        ("sponsor", Role.SPONSOR, "dealer-kendari"),
        ("officer", Role.OFFICER, "kendari-desk-1"),
    ):
        key, record = issue(role, subject, NOW)
        file.add(record)
        keys[name] = key
    settings = Settings(
        kafka_bootstrap="127.0.0.1:1",
        api_keys_file=str(file.path),
        namespace="t",
        api_upload_max_rows=5,
        api_upload_max_bytes=40_000,
        api_rate_burst=1000,
    )
    app = create_app(settings, now=lambda: NOW)
    recorder = Recorder()
    app.state.services.publisher.publish = recorder.publish
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        yield Desk(client, recorder, keys, app.state.services.idempotency)


def payment(**overrides: Any) -> dict[str, Any]:
    return {"payment_id": "TX1", "bill_id": BILL, "amount_idr": 33_600, "paid_on": "2026-02-10", **overrides}


def code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json().get("code", "")


# ---------------------------------------------------------------- roles


async def test_a_payer_key_cannot_pledge_or_apply_and_a_sponsor_key_cannot_pay(desk: Desk) -> None:
    assert code(await desk.post("/v1/pledges", "payer", json={})) == (403, "wrong_role")
    assert code(await desk.post("/v1/applications", "payer", json={})) == (403, "wrong_role")
    paid = await desk.post("/v1/payments", "sponsor", json=payment())
    assert code(paid) == (403, "wrong_role")
    assert paid.json()["detail"] == "this route needs a payer or officer key"
    confirm = {
        "region": "74.71",
        "coverage_id": "c",
        "membership_number": "12345678",
        "start_date": "2026-01-06",
    }
    assert code(await desk.post("/v1/registrations/confirmations", "sponsor", json=confirm)) == (
        403,
        "wrong_role",
    )
    settle = {"amount_idr": 1, "settled_on": "2026-02-11"}
    assert code(await desk.post("/v1/refunds/refund:74.71:payer-1:TX1/settlement", "payer", json=settle)) == (
        403,
        "wrong_role",
    )
    assert desk.recorder.sent == []


def test_jaring_keys_create_makes_a_payer_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JARING_API_KEYS_FILE", str(tmp_path / "keys.json"))
    assert main(["keys", "create", "--role", "payer", "--subject", "dealer-kendari"]) == 0
    credential = KeyFile(tmp_path / "keys.json").authenticate(capsys.readouterr().out.strip())
    assert credential is not None and (credential.role, credential.subject) == (Role.PAYER, "dealer-kendari")
    assert main(["keys", "create", "--role", "payer"]) == 2
    assert "keys_subject_missing: --role payer needs --payer-id" in capsys.readouterr().err


# ---------------------------------------------------------------- POST /v1/payments


async def test_a_payment_becomes_one_payment_reported_keyed_by_the_bills_region(desk: Desk) -> None:
    answer = await desk.post("/v1/payments", "payer", json=payment())
    assert answer.status_code == 202, answer.text
    [(topic, key, event)] = desk.recorder.sent
    assert (topic, key) == ("t.payments.v1", b"74.71")
    assert isinstance(event, PaymentReported)
    assert (
        event.payer_id,
        event.region,
        event.bill_id,
        event.amount_idr,
        event.source,
        event.event_time,
    ) == ("dealer-kendari", "74.71", BILL, 33_600, "api", NOW)
    assert answer.json() == {
        "payment_id": "TX1",
        "bill_id": BILL,
        "payer_id": "dealer-kendari",
        "event_id": event.event_id,
        "status": "submitted",
    }


async def test_the_same_transfer_is_the_same_event_and_another_channel_or_detail_is_another(
    desk: Desk,
) -> None:
    await desk.post("/v1/payments", "payer", "k1", json=payment())
    await desk.post("/v1/payments", "payer", "k2", json=payment())  # a resend under a new key
    await desk.post("/v1/payments", "payer", "k3", json=payment(amount_idr=33_601))
    data = f"payment_id,bill_id,amount_idr,paid_on\nTX1,{BILL},33600,2026-02-10\n".encode()
    assert (await desk.upload("/v1/payments/report", "payer", data)).status_code == 202
    ids = [e.event_id for _, _, e in desk.recorder.sent]
    assert ids[0] == ids[1]  # a repeat the engine ignores
    assert len({ids[0], ids[2], ids[3]}) == 3  # reconciled `duplicate`: seen, applied once
    assert {e.payment_id for _, _, e in desk.recorder.sent} == {"TX1"}


async def test_a_payer_key_paying_another_payers_bill_is_refused_from_the_id_alone(desk: Desk) -> None:
    # The same answer whether or not bank-sultra has such a bill: nothing is looked up.
    for bill in (OTHER_BILL, "bill:74.71:bank-sultra:2031-12"):
        refused = await desk.post("/v1/payments", "payer", bill, json=payment(bill_id=bill))
        assert code(refused) == (403, "bill_not_yours")
    assert code(await desk.post("/v1/payments", "payer", "n", json=payment(payer_id="bank-sultra"))) == (
        403,
        "payer_not_yours",
    )
    assert desk.recorder.sent == []


async def test_an_officer_names_the_payer_and_may_record_a_transfer_quoting_another_payers_bill(
    desk: Desk,
) -> None:
    missing = await desk.post("/v1/payments", "officer", json=payment())
    assert code(missing) == (422, "payer_id_missing")
    assert missing.json()["errors"][0]["field"] == "payer_id"
    ok = await desk.post("/v1/payments", "officer", "k2", json=payment(payer_id="bank-sultra"))
    assert ok.status_code == 202
    [(_, _, event)] = desk.recorder.sent
    assert (event.payer_id, event.bill_id) == (
        "bank-sultra",
        BILL,
    )  # the engine refunds it: unknown_reference


@pytest.mark.parametrize(
    "bill_id",
    [
        "bill:74.71:dealer-kendari",
        "bill:7471:dealer-kendari:2026-01",
        "invoice:74.71:dealer-kendari:2026-01",
        "bill:74.71:dealer-kendari:2026-13",
        "bill:74.71:dealer:kendari:2026-01",
        "x",
    ],
)
async def test_a_malformed_bill_id_is_422_invalid_body_on_that_field(desk: Desk, bill_id: str) -> None:
    answer = await desk.post("/v1/payments", "payer", json=payment(bill_id=bill_id))
    assert code(answer) == (422, "invalid_body")
    assert answer.json()["errors"] == [
        {"field": "bill_id", "problem": answer.json()["errors"][0]["problem"], "kind": "not_a_bill_id"}
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount_idr", 0),
        ("amount_idr", "33600"),
        ("amount_idr", 1.5),
        ("paid_on", 20260210),
        ("payment_id", "TX:1"),
        ("extra", 1),
    ],
)
async def test_a_payment_body_is_strict(desk: Desk, field: str, value: Any) -> None:
    assert code(await desk.post("/v1/payments", "payer", json=payment(**{field: value}))) == (
        422,
        "invalid_body",
    )


async def test_a_retry_gets_the_same_answer_and_another_body_under_the_key_is_refused(desk: Desk) -> None:
    first = await desk.post("/v1/payments", "payer", json=payment())
    again = await desk.post("/v1/payments", "payer", json=payment())
    assert again.json() == first.json() and len(desk.recorder.sent) == 1
    assert code(await desk.post("/v1/payments", "payer", json=payment(amount_idr=1))) == (
        422,
        "idempotency_key_reused",
    )


# ---------------------------------------------------------------- POST /v1/payments/report

REPORT = (
    "payment_id,bill_id,amount_idr,paid_on\n"
    f"TX1,{BILL},33600,2026-02-10\n"
    f"TX2,{OTHER_BILL},16800,2026-02-10\n"
    "TX3,bill:74.71:dealer-kendari,16800,2026-02-10\n"
    f"TX4,{BILL},16 800,2026-02-10\n"
    f"TX5,bill:74.72:dealer-kendari:2026-01,16800,2026-02-11\n"
).encode()


async def test_an_upload_answers_every_row_and_sends_one_event_per_valid_row(desk: Desk) -> None:
    answer = await desk.upload("/v1/payments/report", "payer", REPORT)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert (body["rows"], body["accepted"], body["invalid"]) == (5, 2, 3)
    assert [(r["line"], r["outcome"], r["id"], r["column"], r["reason"]) for r in body["results"]] == [
        (2, "accepted", "TX1", None, None),
        (3, "invalid", "TX2", "bill_id", "bill_not_yours"),
        (4, "invalid", "TX3", "bill_id", "not_a_bill_id"),
        (5, "invalid", None, "amount_idr", "not_a_positive_integer"),
        (6, "accepted", "TX5", None, None),
    ]
    sent = [(key, e.payment_id, e.source, e.event_id) for _, key, e in desk.recorder.sent]
    assert [s[:3] for s in sent] == [(b"74.71", "TX1", "upload"), (b"74.72", "TX5", "upload")]
    assert [s[3] for s in sent] == [body["results"][0]["event_id"], body["results"][4]["event_id"]]


async def test_an_officer_uploads_for_the_payer_it_names(desk: Desk) -> None:
    assert code(await desk.upload("/v1/payments/report", "officer", REPORT)) == (422, "payer_id_missing")
    answer = await desk.upload("/v1/payments/report?payer_id=dealer-kendari", "officer", REPORT, key="u2")
    # An officer may record a transfer that quoted another payer's bill (line 3): the engine refunds it.
    assert [r["line"] for r in answer.json()["results"] if r["outcome"] == "accepted"] == [2, 3, 6]
    assert {e.payer_id for _, _, e in desk.recorder.sent} == {"dealer-kendari"}
    bad = await desk.upload("/v1/payments/report?payer_id=bank:sultra", "officer", REPORT, key="u3")
    assert code(bad) == (422, "invalid_body")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", (422, "csv_empty")),
        (b"payment_id,bill_id,amount_idr\n", (422, "csv_column_missing")),
        (b"id,bill,amount,date\nTX1,b,1,2026-01-01\n", (422, "csv_header_invalid")),
        (b"payment_id,bill_id,amount_idr,paid_on\n\xff\n", (422, "csv_encoding_invalid")),
        (b'payment_id,bill_id,amount_idr,paid_on\n"TX1\n', (422, "csv_malformed")),
        (
            ("payment_id,bill_id,amount_idr,paid_on\n" + f"TX1,{BILL},1,2026-01-01\n" * 6).encode(),
            (422, "csv_too_many_rows"),
        ),
        (b"payment_id,bill_id,amount_idr,paid_on\nTX1,x,0,1.1.2026\n", (422, "csv_rows_invalid")),
    ],
)
async def test_a_file_nothing_of_which_can_be_sent_is_422_with_a_code(
    desk: Desk, data: bytes, expected: tuple[int, str]
) -> None:
    assert code(await desk.upload("/v1/payments/report", "payer", data)) == expected
    assert desk.recorder.sent == []


async def test_an_upload_must_be_utf8_csv_and_may_be_larger_than_a_json_body(desk: Desk) -> None:
    as_json = await desk.post("/v1/payments/report", "payer", json={"rows": []})
    assert code(as_json) == (415, "unsupported_media_type")
    latin = await desk.post(
        "/v1/payments/report", "payer", content=REPORT, headers={"Content-Type": "text/csv; charset=latin-1"}
    )
    assert code(latin) == (415, "unsupported_media_type")
    # Over the JSON limit (16 KiB), under the upload limit (40 000 bytes here): read, not 413.
    padded = REPORT.replace(b"TX1,", b"TX1" + b"0" * 60 + b",").replace(b"\n", b"\n" + b" " * 5000, 4)
    assert 16_384 < len(padded) < 40_000
    assert (await desk.upload("/v1/payments/report", "payer", padded)).status_code == 202
    too_big = await desk.upload("/v1/payments/report", "payer", padded + b" " * 40_000, key="u9")
    assert code(too_big) == (413, "body_too_large")
    assert "40000 bytes" in too_big.json()["detail"]


async def test_an_upload_is_idempotent_and_a_broker_failure_sends_everything_again(desk: Desk) -> None:
    desk.recorder.fail_after = 1
    failed = await desk.upload("/v1/payments/report", "payer", REPORT)
    assert code(failed) == (503, "kafka_unavailable")
    desk.recorder.fail_after = None
    retried = await desk.upload("/v1/payments/report", "payer", REPORT)
    assert retried.status_code == 202
    again = await desk.upload("/v1/payments/report", "payer", REPORT)
    assert again.json() == retried.json()
    # One event from the failed attempt, both on the retry (the first twice: the engine ignores the repeat).
    assert [e.payment_id for _, _, e in desk.recorder.sent] == ["TX1", "TX1", "TX5"]
    other = await desk.upload("/v1/payments/report", "payer", REPORT.replace(b"33600", b"33601"))
    assert code(other) == (422, "idempotency_key_reused")


# ---------------------------------------------------------------- registrations


async def test_bpjs_answers_become_registration_events_on_registrations_v1(desk: Desk) -> None:
    confirm = {
        "region": "74.71",
        "coverage_id": "dealer-kendari:pl-1:w_ab:1",
        "membership_number": "26001234567",
        "start_date": "2026-01-06",
    }
    reject = {
        "region": "74.71", "coverage_id": "dealer-kendari:pl-1:w_cd:1", "reason": "NIK tidak cocok",
        "payer_id": "dealer-kendari",
    }
    ok = await desk.post("/v1/registrations/confirmations", "payer", "c1", json=confirm)
    no = await desk.post("/v1/registrations/rejections", "officer", "r1", json=reject)
    assert (ok.status_code, no.status_code) == (202, 202)
    data = (
        b"coverage_id,membership_number,start_date\n"
        b"dealer-kendari:pl-1:w_ab:1,26001234567,2026-01-06\n"
        b"dealer-kendari:pl-1:w_ef:1,2600123,2026-01-06\n"
    )
    upload = await desk.upload("/v1/registrations/confirmations/report?region=74.71", "payer", data)
    assert [r["reason"] for r in upload.json()["results"]] == [None, "not_a_membership_number"]
    [(t1, k1, e1), (t2, _, e2), (_, _, e3)] = desk.recorder.sent
    assert (t1, t2, k1) == ("t.registrations.v1", "t.registrations.v1", b"74.71")
    assert isinstance(e1, RegistrationConfirmed) and isinstance(e2, RegistrationRejected)
    assert (e1.membership_number, str(e1.start_date), e2.reason) == (
        "26001234567",
        "2026-01-06",
        "NIK tidak cocok",
    )
    assert e3.event_id == e1.event_id  # the same confirmation through the file: one event
    assert {e1.payer_id, e2.payer_id, e3.payer_id} == {"dealer-kendari"}  # the engine checks the seat's payer
    assert ok.json() == {
        "coverage_id": confirm["coverage_id"],
        "answer": "confirmed",
        "event_id": e1.event_id,
        "status": "submitted",
    }
    no_region = await desk.upload("/v1/registrations/confirmations/report", "payer", data, key="u3")
    assert code(no_region) == (422, "invalid_body")


async def test_a_bpjs_answer_names_its_payer_an_officer_says_which_and_a_payer_key_only_its_own(
    desk: Desk,
) -> None:
    """The engine applies an answer only for a seat of the payer it names (another's is unknown to it)."""
    reject = {"region": "74.71", "coverage_id": "dealer-kendari:pl-1:w_cd:1", "reason": "NIK tidak cocok"}
    assert code(await desk.post("/v1/registrations/rejections", "officer", "r2", json=reject)) == (
        422,
        "payer_id_missing",
    )
    theirs = {**reject, "payer_id": "bank-sultra"}
    assert code(await desk.post("/v1/registrations/rejections", "payer", "r3", json=theirs)) == (
        403,
        "payer_not_yours",
    )
    assert desk.recorder.sent == []


# ---------------------------------------------------------------- refunds


async def test_an_officer_settles_a_refund_in_the_region_its_id_names(desk: Desk) -> None:
    body = {"amount_idr": 16_800, "settled_on": "2026-02-20", "transfer_id": "TR-9"}
    answer = await desk.post("/v1/refunds/refund:74.72:payer-1:TX1/settlement", "officer", "s1", json=body)
    assert answer.status_code == 202, answer.text
    again = await desk.post("/v1/refunds/refund:74.72:payer-1:TX1/settlement", "officer", "s2", json=body)
    [(topic, key, event), (_, _, repeat)] = desk.recorder.sent
    assert (topic, key) == ("t.payments.v1", b"74.72")
    assert isinstance(event, RefundSettled) and (event.refund_id, event.amount_idr) == (
        "refund:74.72:payer-1:TX1",
        16_800,
    )
    assert repeat.event_id == event.event_id == again.json()["event_id"]  # one transfer, one event
    other = await desk.post("/v1/refunds/refund:74.71:payer-1:TX2/settlement", "officer", "s1", json=body)
    assert code(other) == (422, "idempotency_key_reused")  # the key names one refund's settlement
    bad = await desk.post("/v1/refunds/TX1/settlement", "officer", "s3", json=body)
    assert code(bad) == (422, "invalid_body") and bad.json()["errors"][0]["field"] == "refund_id"


# ---------------------------------------------------------------- any bytes, never a 500


@functools.cache
def _uploader(root: str) -> tuple[Any, str, Recorder]:
    file = KeyFile(Path(root) / "keys.json")
    key, record = issue(Role.PAYER, "dealer-kendari", NOW)
    file.add(record)
    settings = Settings(
        kafka_bootstrap="127.0.0.1:1",
        api_keys_file=str(file.path),
        namespace="t",
        api_rate_burst=100_000,
        api_upload_max_rows=50,
    )
    app = create_app(settings, now=lambda: NOW)
    recorder = Recorder()
    app.state.services.publisher.publish = recorder.publish
    return app, key, recorder


@hypothesis.settings(max_examples=150, deadline=None)
@hypothesis.given(
    data=st.one_of(
        st.binary(max_size=400),
        st.lists(st.lists(st.text(max_size=40), max_size=5), max_size=8).map(
            lambda rows: "\n".join(
                ",".join(r) for r in [["payment_id", "bill_id", "amount_idr", "paid_on"], *rows]
            ).encode("utf-8", "surrogatepass")
        ),
    ),
    path=st.sampled_from(["/v1/payments/report", "/v1/registrations/confirmations/report?region=74.71"]),
)
def test_any_bytes_uploaded_are_answered_202_or_a_4xx_problem_never_a_500(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, path: str
) -> None:
    app, key, _ = _uploader(str(tmp_path_factory.getbasetemp()))
    headers = {
        "Authorization": f"Bearer {key}",
        "Idempotency-Key": hashlib.sha256(path.encode() + data).hexdigest(),
        "Content-Type": "text/csv",
    }

    async def post() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
            return await client.post(path, content=data, headers=headers)

    answer = asyncio.run(post())
    assert answer.status_code in (202, 422), answer.text
    if answer.status_code == 422:
        assert answer.json()["code"].startswith("csv_")
    else:
        body = answer.json()
        assert body["accepted"] + body["invalid"] == body["rows"] == len(body["results"])


# ---------------------------------------------------------------- bounded idempotency memory


async def test_a_payer_flooding_new_keys_gets_429_and_keeps_every_key_it_holds(desk: Desk) -> None:
    """The store's per-subject cap (``api.idempotency``): a new key over it is refused before anything
    is produced; the keys held still replay, and another payer is not affected."""
    store = desk.idempotency
    store.max_keys_per_subject = 3
    for n in range(3):
        assert (await desk.post("/v1/payments", "payer", f"k{n}", json=payment(payment_id=f"TX{n}"))
                ).status_code == 202
    refused = await desk.post("/v1/payments", "payer", "k3", json=payment(payment_id="TX3"))
    assert code(refused) == (429, "idempotency_keys_exhausted")
    assert int(refused.headers["Retry-After"]) >= 1
    assert len(desk.recorder.sent) == 3
    again = await desk.post("/v1/payments", "payer", "k0", json=payment(payment_id="TX0"))
    assert again.status_code == 202 and len(desk.recorder.sent) == 3
    changed = await desk.post("/v1/payments", "payer", "k0", json=payment(payment_id="TX9"))
    assert code(changed) == (422, "idempotency_key_reused")
    theirs = payment(payment_id="TX3", bill_id=BILL.replace("dealer-kendari", "bank-sultra"))
    other = await desk.post("/v1/payments", "other_payer", "k3", json=theirs)
    assert other.status_code == 202


async def test_a_full_store_answers_503_to_a_new_key_of_anyone(desk: Desk) -> None:
    store = desk.idempotency
    store.max_entries = 1
    assert (await desk.post("/v1/payments", "payer", "k0", json=payment())).status_code == 202
    refused = await desk.post("/v1/payments", "other_payer", "k1",
                              json=payment(bill_id=BILL.replace("dealer-kendari", "bank-sultra")))
    assert code(refused) == (503, "idempotency_store_full")
    assert int(refused.headers["Retry-After"]) >= 1
