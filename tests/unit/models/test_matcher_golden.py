"""The matcher's outputs and records for fixed input logs, pinned byte for byte.

A refactoring of ``models.matcher`` must not change what a region emits or
stores for any input log: the stream layer's replay check compares workers'
outputs with the pure core's, and records written by one version are
restored by the next. These digests were re-taken for issue 16 (payments:
seats committed then activated by BPJS, bills instead of premiums marked
paid, reconciliation, arrears, lapse, refunds), a change of behaviour by
design, and again when a payment reference became its payer's (payments,
refunds and payer movements keyed by payer and reference), and for issue
17, a change of persistence only: a close and a payment no longer rewrite
the active terms they bill or pay (a bill keeps its ``paid_through_seq``),
so the records a step names changed, and handled-input markers are kept for
a window of closes (see ``ADVERSARIAL_OUTPUTS``); the ones before were
taken from the matcher before it was split into a package (commit 7dc513c).
A digest that changes is a change of
behaviour: it needs its own reason, a CHANGELOG line and new digests,
never a silent update.

Two logs: the Kendari programme (``jaring.scenario.kendari``, 300 workers,
answered by ``jaring.bpjs``: every registration confirmed, one payer two
months late) and a seeded adversarial log exercising every output type and
rejection path the matcher has (replays, duplicate NIKs and pledge ids,
refused and scheduled pledges, targeting, stale and month-skipping ticks,
registration answers, payments of every outcome, refund settlements). The digest
covers every output's bytes, every ``Step`` field and every changed record,
and is taken again with the matcher rebuilt every 97 inputs from the records
its steps wrote (what the stream layer's table holds: only what a step names
changed), which pins the persistence mapping in both directions. The outputs
alone have their own digests, which a change of persistence must not move.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from jaring.bpjs import Habits, Simulator, drive
from jaring.scenario import kendari
from models.codec import encode
from models.eligibility import CityPolicy
from models.events import (
    ApplicationSubmitted,
    Channel,
    FundingKind,
    InputEvent,
    MonthTick,
    PaymentReported,
    PledgeSubmitted,
    RefundSettled,
    RegistrationConfirmed,
    RegistrationRejected,
    Targeting,
)
from models.matcher import RegionMatcher
from models.nik import Sex
from models.occupations import Occupation
from models.periods import last_day, period_index, period_name
from models.tariff import Package

REGION = "74.71"
KEY = b"golden-pseudonym-key-0123456789abcdef"
DISTRICTS = tuple(f"74.71.{n:02d}" for n in range(1, 12))
OCCUPATIONS = tuple(Occupation)
POLICY = CityPolicy(max_pledge_idr=40_000_000, max_pledge_seats=40)

KENDARI_DIGEST = "463d8bb8c883a0be51b54ba175a60e183620a49fea479d9c84db25aca58f5436"
ADVERSARIAL_DIGEST = "dfe8e098089c33d0802e80f3a4944ca329f4279b256659e450d295f521b114d2"
KENDARI_OUTPUTS = "41841504ec814c58153b4c7c54cfcb8020a3cbe0f6c67bb7e7597b7ef5b1f26b"
ADVERSARIAL_OUTPUTS = "f4b62cc1cbb1d6d066ca394fb433f3f526c4364d4ba5b7146c6fa396c34e67c7"
PRE_TARIFF_KENDARI_OUTPUTS = "85f19ecae21277649872a0b9944f85eb700d6e8ec351b0f9209b44b90adc2099"
PRE_TARIFF_ADVERSARIAL_OUTPUTS = "5a8cc639222610beed5f378f891f06c73a25424a2e98e53009b39f914d2c0e0e"
"""The outputs pinned before issue 19: what the logs give with ``apply_tariff_discounts`` off, once
each bill line's ``"discount":null`` is cut (``test_with_the_discounts_off_...``)."""
"""The outputs' bytes alone. Kendari's are unchanged since issue 16's payer-keyed payments. The
adversarial log's changed once in issue 17, by design: handled-input markers are kept for
``replay_window_closes`` (6) closes, and the log replays some inputs later than that (63 closes):
13 ``registration_not_pending`` answers and 7 rejections re-emitted with their original ids
(``test_markers_past_the_window...`` in test_matcher_payments.py pins the rule). Both changed in
issue 18/20 by an addition only: ``application.waiting`` and the seat events carry the applicant's
``sex`` and ``welfare_decile`` (what the officer's desk and the fairness figures count by); the
outputs with those two fields cut out hash to the digests before (checked when re-taken). Issue 18
(renewals) added, and nothing else: ``coverage.renewed`` carries its ``renewal`` breakdown (the
adversarial log renews; Kendari's outputs are unchanged), and a worker record keeps the birth month
(the renewal's age check), which moves both state digests; with that field and the breakdown cut
out, all four digests are those before (checked when re-taken). Issue 19 (each month billed at the
tariff in force, PP 50/2025's discount) moved all four: both logs bill months of 2026. Checked when
re-taken: with the discounts off, the outputs are the ones before but for ``"discount":null`` on each
bill line (pinned below, ``PRE_TARIFF_*``); with them on, cutting the money outputs (bill lines,
bills, funding movements, payment reconciliations, payer movements), the amounts the logs draw from
bills and refunds (payments, refund settlements and their answers), ``coverage.lapsed``'s
``written_off_idr`` and ``pledge.expired``'s ``returned_idr``, the rest is the same, in order (Kendari
63 funding movements more, the ``repriced`` ones; the adversarial log 181, ``repriced`` and
``returned``); the state digests also carry an ended term's ``occupation`` (``TermRecord``)."""


def _nik(i: int, district: str, sex: Sex) -> tuple[str, date]:
    birth = date(1975, 1, 1) + timedelta(days=(i * 37) % 9_000)
    day = birth.day + (40 if sex is Sex.FEMALE else 0)
    nik = f"{district.replace('.', '')}{day:02d}{birth.month:02d}{birth.year % 100:02d}{i % 10_000:04d}"
    return nik, birth


def adversarial(seed: int, count: int, policy: CityPolicy = POLICY) -> Iterator[InputEvent]:
    """Applications (duplicates, replays, bad NIKs, ineligible), pledges (targeted, scheduled,
    refused, duplicate ids, replays, two sponsors sharing ids), ticks (skipping months, stale),
    and the answers a BPJS branch and payers give to what the matcher said (registrations
    confirmed, rejected, unknown or never answered; bills paid exact, short, over, twice, to no
    bill, late, or never by one payer; refunds settled, in part, too much, unknown).

    Answers are drawn from a second matcher fed the same log as it is written."""
    rng = random.Random(seed)
    shadow = RegionMatcher(REGION, KEY, policy)
    answered: list[str] = []
    paid: list[str] = []
    clock = datetime(2025, 1, 6, 3, 0, tzinfo=UTC)
    month = period_index("2025-01")
    workers = 0
    sent: list[InputEvent] = []
    pledge_ids: list[tuple[str, str]] = []
    for n in range(count):
        clock += timedelta(minutes=rng.randint(1, 600))
        answer = _answer(rng, shadow, n, clock, answered, paid)
        if answer is not None:
            shadow.handle(answer)
            sent.append(answer)
            yield answer
            continue
        roll = rng.random()
        if sent and roll < 0.04:
            replay = rng.choice(sent)  # a replay: same event id
            shadow.handle(replay)
            yield replay
            continue
        if roll < 0.55 or roll >= 0.83:
            if workers and rng.random() < 0.05:
                i = rng.randrange(workers)
            else:
                i = workers
                workers += 1
            district = DISTRICTS[i % len(DISTRICTS)]
            sex = Sex.FEMALE if rng.random() < 0.45 else Sex.MALE
            nik, birth = _nik(i, district, sex)
            if rng.random() < 0.02:
                nik = nik[:10]
            event: InputEvent = ApplicationSubmitted(
                event_id=f"a{n}",
                event_time=clock,
                application_id=f"app{n}",
                nik=nik,
                name="Pekerja Contoh",
                birth_date=birth,
                sex=sex,
                regency=REGION,
                district=district,
                occupation=rng.choice(OCCUPATIONS),
                declared_income_idr=rng.choice((800_000, 1_500_000, 9_000_000)),
                dependants=rng.randrange(6),
                breadwinner=rng.random() < 0.6,
                welfare_decile=rng.choice((None, 1, 2, 3, 4, 5, 9)),
                disability=rng.random() < 0.05,
                already_covered=rng.random() < 0.02,
                channel=rng.choice(tuple(Channel)),
                submitted_at=clock - timedelta(seconds=rng.randrange(3600)),
            )
        elif roll < 0.80:
            months = rng.choice((1, 3, 6, 12, 7))
            package = rng.choice(tuple(Package))
            seats = rng.randint(0, 30)
            amount = max(1, seats * 16_800 * months + rng.randrange(50_000))
            kind = rng.randrange(6)
            targeting = Targeting()
            if kind == 0:
                targeting = Targeting(districts=tuple(rng.sample(DISTRICTS, rng.randint(1, 3))))
            elif kind == 1:
                targeting = Targeting(occupations=tuple(rng.sample(OCCUPATIONS, 2)))
            elif kind == 2:
                targeting = Targeting(sexes=(Sex.FEMALE,))
            elif kind == 3:
                targeting = Targeting(max_welfare_decile=rng.randint(1, 4))
            start_month = month + rng.choice((0, 0, 0, 1, 2))
            if pledge_ids and rng.random() < 0.1:
                sponsor, pid = rng.choice(pledge_ids)
                sponsor = sponsor if rng.random() < 0.5 else f"other-{sponsor}"
            else:
                sponsor, pid = f"sponsor{rng.randrange(4)}", f"pledge{n}"
                pledge_ids.append((sponsor, pid))
            event = PledgeSubmitted(
                event_id=f"p{n}",
                event_time=clock,
                pledge_id=pid,
                sponsor_id=sponsor,
                payer_id=f"payer{rng.randrange(3)}",
                region=REGION,
                amount_idr=amount,
                months=months,
                package=package,
                targeting=targeting,
                max_workers=rng.choice((None, None, 2, 5, 50)),
                valid_from=date.fromisoformat(f"{period_name(start_month)}-01"),
                valid_until=last_day(start_month + rng.randint(0, 5)),
            )
        else:
            step = rng.choice((1, 1, 1, 1, 1, 2, 3, 0))
            if step == 0:
                stale = period_name(month - 2)
                event = MonthTick(event_id=f"t{n}", event_time=clock, region=REGION, period=stale)
            else:
                month += step
                clock = max(clock, datetime.fromisoformat(f"{period_name(month)}-01T00:05:00+00:00"))
                event = MonthTick(
                    event_id=f"t{n}", event_time=clock, region=REGION, period=period_name(month - 1)
                )
        shadow.handle(event)
        sent.append(event)
        yield event


def payer_of(m: RegionMatcher, coverage_id: str) -> str:
    """The payer BPJS answers for: the seat's own (a seat no longer held names a payer of none)."""
    term = m.term(coverage_id)
    return "payer-of-none" if term is None else term.payer_id


def _answer(
    rng: random.Random, m: RegionMatcher, n: int, clock: datetime, answered: list[str], paid: list[str]
) -> InputEvent | None:
    """BPJS's or a payer's next input, or None (then the log's own draw goes on)."""
    roll = rng.random()
    pending = m.committed()
    if pending and roll < 0.25:
        cid = rng.choice(pending)
        answered.append(cid)
        if rng.random() < 0.1:
            return RegistrationRejected(event_id=f"r{n}", event_time=clock, region=REGION, coverage_id=cid,
                                        payer_id=payer_of(m, cid), reason="data tidak cocok")
        return RegistrationConfirmed(event_id=f"r{n}", event_time=clock, region=REGION, coverage_id=cid,
                                     payer_id=payer_of(m, cid), membership_number=f"{10**10 + n}",
                                     start_date=clock.date())
    if roll < 0.27:
        cid = rng.choice([*answered[-5:], "nobody"])
        return RegistrationConfirmed(event_id=f"r{n}", event_time=clock, region=REGION, coverage_id=cid,
                                     payer_id=payer_of(m, cid), membership_number="99999999",
                                     start_date=clock.date())
    bills = [b for b in m.bill_ids() if not b.endswith(":payer2:" + b[-7:])]  # payer2 never pays
    if bills and roll < 0.40:
        bill = m.bill(rng.choice(bills[-12:]))
        assert bill is not None
        how = rng.random()
        amount = bill.outstanding_idr + (0 if how < 0.6 else -rng.randrange(1, 20_000) if how < 0.75
                                         else rng.randrange(1, 20_000))
        payment_id = rng.choice(paid) if paid and rng.random() < 0.05 else f"TX{n}"
        paid.append(payment_id)
        payer = bill.payer_id if rng.random() < 0.95 else "payer1"
        target = bill.bill_id if rng.random() < 0.97 else "bill:74.71:payer0:1999-01"
        return PaymentReported(event_id=f"y{n}", event_time=clock, payment_id=payment_id, payer_id=payer,
                               region=REGION, bill_id=target, amount_idr=max(amount, 1),
                               paid_on=clock.date(), source="topic")
    refunds = m.snapshot().refunds if roll < 0.43 else ()
    if refunds:
        f = rng.choice(refunds)
        left = f.amount_idr - f.refunded_idr
        amount = rng.choice((left, left // 2, left + 1)) or 1
        refund_id = f.refund_id if rng.random() < 0.9 else "refund:74.71:nobody"
        return RefundSettled(event_id=f"f{n}", event_time=clock, region=REGION, refund_id=refund_id,
                             amount_idr=amount, settled_on=clock.date())
    return None


def digest(events: list[InputEvent], *, restore_every: int = 0, policy: CityPolicy = POLICY) -> str:
    """SHA-256 over every output's bytes, every Step field and every changed record, in order.

    With ``restore_every``, the matcher is rebuilt that often from the records its steps wrote,
    kept as the stream layer's table keeps them (latest per key, a dropped term removed), in
    reverse order: the records both ways are part of what is pinned.
    """
    h = hashlib.sha256()
    m = RegionMatcher(REGION, KEY, policy)
    table: dict[tuple[str, str], Any] = {}
    for n, event in enumerate(events, 1):
        step = m.handle(event)
        h.update(f"#{n} {event.event_id}\n".encode())
        for out in step.outputs:
            h.update(encode(out) + b"\n")
        h.update(repr(tuple(step[1:])).encode())
        written: list[tuple[str, str, Any]] = [
            *(("w", w, m.worker_record(w)) for w in step.workers),
            *(("p", p, m.pledge_record(p)) for p in step.pledges),
            *(("t", t, m.term_record(t)) for t in step.terms),
            *(("b", b, m.bill_record(b)) for b in step.bills),
            *(("y", y, m.payment_record(y)) for y in step.payments),
            *(("f", f, m.refund_record(f)) for f in step.refunds),
            *(("a", a, m.payer_record(a)) for a in step.payers),
            *(("s", e, (e, closes)) for e, closes in step.seen),
            *(("s", e, None) for e in step.forgotten),
        ]
        if step.clock:
            written.append(("c", "", m.clock_record()))
        for kind, key, record in written:
            h.update(b"-" if record is None else str(record).encode() if kind == "s"
                     else record.model_dump_json().encode())
            if record is None:
                table.pop((kind, key), None)
            else:
                table[(kind, key)] = record
        if restore_every and n % restore_every == 0:
            m = _restored(table, policy)
    snap = m.snapshot()
    h.update(snap.clock.model_dump_json().encode())
    for rec in (*snap.workers, *snap.pledges, *snap.terms, *snap.bills, *snap.payments, *snap.refunds,
                *snap.payers):
        h.update(rec.model_dump_json().encode())
    h.update(repr((snap.seen, m.waiting(), m.covered(), m.current_period)).encode())
    return h.hexdigest()



def _restored(table: dict[tuple[str, str], Any], policy: CityPolicy) -> RegionMatcher:
    def of(kind: str) -> list[Any]:
        return [record for (k, _), record in reversed(table.items()) if k == kind]

    clock = table.get(("c", ""))
    return RegionMatcher.restore(
        REGION, KEY, clock=clock, workers=of("w"), pledges=of("p"), seen=of("s"), terms=of("t"),
        bills=of("b"), payments=of("y"), refunds=of("f"), payers=of("a"), policy=policy,
    )


def output_digest(
    events: list[InputEvent], *, restore_every: int = 0, policy: CityPolicy = POLICY, cut: bytes = b"",
) -> str:
    """SHA-256 over every output's bytes, in order (restored as ``digest`` does); ``cut``: bytes taken
    out of each output first."""
    h = hashlib.sha256()
    m = RegionMatcher(REGION, KEY, policy)
    table: dict[tuple[str, str], Any] = {}
    for n, event in enumerate(events, 1):
        step = m.handle(event)
        for out in step.outputs:
            h.update(encode(out).replace(cut, b"") + b"\n" if cut else encode(out) + b"\n")
        for kind, keys, record_of in (
            ("w", step.workers, m.worker_record), ("p", step.pledges, m.pledge_record),
            ("t", step.terms, m.term_record), ("b", step.bills, m.bill_record),
            ("y", step.payments, m.payment_record), ("f", step.refunds, m.refund_record),
            ("a", step.payers, m.payer_record),
        ):
            for key in keys:
                record = record_of(key)
                if record is None:
                    table.pop((kind, key), None)
                else:
                    table[(kind, key)] = record
        table.update({("s", e): (e, closes) for e, closes in step.seen})
        for e in step.forgotten:
            del table[("s", e)]
        if step.clock:
            table[("c", "")] = m.clock_record()
        if restore_every and n % restore_every == 0:
            m = _restored(table, policy)
    return h.hexdigest()


@pytest.fixture(scope="module")
def adversarial_log() -> list[InputEvent]:
    return list(adversarial(15, 3000))


def kendari_log(policy: CityPolicy | None = None) -> list[InputEvent]:
    """The programme with BPJS confirming every registration and every payer paying on time but
    ``payer-2``, two months late (``jaring.bpjs``)."""
    s = kendari(workers=300)
    m = RegionMatcher(REGION, KEY, policy or CityPolicy())
    simulator = Simulator(Habits(late={"payer-2": 2}))
    return drive([*s.applications, *s.pledges, *s.ticks], lambda e: m.handle(e).outputs, simulator)


def test_the_kendari_programme_gives_the_pinned_outputs_and_records() -> None:
    assert digest(kendari_log(), policy=CityPolicy()) == KENDARI_DIGEST


def test_the_adversarial_log_gives_the_pinned_outputs_and_records(adversarial_log: list[InputEvent]) -> None:
    assert digest(adversarial_log) == ADVERSARIAL_DIGEST


def test_a_matcher_rebuilt_from_its_records_every_97_inputs_gives_the_same(
    adversarial_log: list[InputEvent],
) -> None:
    assert digest(adversarial_log, restore_every=97) == ADVERSARIAL_DIGEST


def test_the_outputs_alone_are_those_pinned_before_the_records_changed(
    adversarial_log: list[InputEvent],
) -> None:
    assert output_digest(kendari_log(), policy=CityPolicy()) == KENDARI_OUTPUTS
    assert output_digest(adversarial_log) == ADVERSARIAL_OUTPUTS


def test_with_the_discounts_off_the_outputs_are_those_before_issue_19() -> None:
    """The switch off bills every month at its committed price, as before issue 19: nothing else in
    issue 19 may move an output (each log's answers are drawn under the same policy)."""
    kendari_off = CityPolicy(apply_tariff_discounts=False)
    assert output_digest(kendari_log(kendari_off), policy=kendari_off, cut=b',"discount":null') == (
        PRE_TARIFF_KENDARI_OUTPUTS)
    off = POLICY.model_copy(update={"apply_tariff_discounts": False})
    assert output_digest(list(adversarial(15, 3000, off)), policy=off, cut=b',"discount":null') == (
        PRE_TARIFF_ADVERSARIAL_OUTPUTS)


@pytest.mark.parametrize("every", [1, 7, 50])
def test_the_kendari_programme_rebuilt_from_its_records_often_emits_the_same(every: int) -> None:
    """Rebuilt between closes and payments, the derived billing (clock and cursors) must hold."""
    assert output_digest(kendari_log(), restore_every=every, policy=CityPolicy()) == KENDARI_OUTPUTS


def test_the_adversarial_log_reaches_every_output_and_rejection_path(
    adversarial_log: list[InputEvent],
) -> None:
    """What the pin is worth: a log that never took a path could not notice it changed."""
    seen: Counter[str] = Counter()
    m = RegionMatcher(REGION, KEY, POLICY)
    for event in adversarial_log:
        for out in m.handle(event).outputs:
            seen[out.type] += 1
            for attr in ("kind", "reason", "outcome", "was_waiting"):
                if hasattr(out, attr):
                    seen[f"{out.type} {attr}={getattr(out, attr)}"] += 1
    expected = {
        "application.waiting", "application.rejected", "coverage.activated", "coverage.renewed",
        "coverage.expired", "pledge.accepted", "pledge.rejected", "pledge.exhausted", "pledge.expired",
        "funding.movement", "coverage.committed", "coverage.lapsed", "pledge.reopened", "payer.movement",
        "bill.line", "bill.issued", "refund.owed", "refund.closed",
        *(f"funding.movement kind={kind}" for kind in FundingKind if kind is not FundingKind.PREMIUM_PAID),
        *(f"payment.reconciled outcome={o}"
          for o in ("exact", "short", "over", "unknown_reference", "duplicate")),
        "coverage.cancelled reason=registration_rejected", "coverage.cancelled reason=registration_expired",
        "registration.unmatched reason=registration_unknown",
        "registration.unmatched reason=registration_not_pending",
        "refund.rejected reason=refund_unknown", "refund.rejected reason=refund_over_owed",
        "application.rejected reason=duplicate_worker", "application.rejected reason=nik_invalid_length",
        "pledge.rejected reason=duplicate_pledge", "coverage.expired outcome=renewed",
        "coverage.expired outcome=waiting", "coverage.activated was_waiting=True",
        "coverage.activated was_waiting=False", "coverage.committed was_waiting=False",
    }
    assert expected <= set(seen), sorted(expected - set(seen))


@pytest.mark.parametrize("spill_at", [1, 7, 5_000])
def test_outputs_spilled_as_a_step_makes_them_are_the_step_s_outputs_in_order(
    adversarial_log: list[InputEvent], spill_at: int
) -> None:
    """A caller that takes outputs in chunks (a close of a million terms) sees exactly the outputs,
    in order, and the records, of one that takes them whole."""
    whole = RegionMatcher(REGION, KEY, POLICY)
    spilled = RegionMatcher(REGION, KEY, POLICY)
    for event in adversarial_log:
        chunks: list[list[Any]] = []
        expected = whole.handle(event)
        step = spilled.handle(event, spill=chunks.append, spill_at=spill_at)
        taken = [o for chunk in chunks for o in chunk] + step.outputs
        assert [encode(o) for o in taken] == [encode(o) for o in expected.outputs], event.event_id
        assert all(len(chunk) == spill_at for chunk in chunks)
        assert step[1:] == expected[1:]
    assert spilled.snapshot() == whole.snapshot()
