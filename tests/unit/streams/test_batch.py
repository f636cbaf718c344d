"""Group commit in the matcher: batches change when things are written, never what is decided.

``MatchBatch`` runs here on a plain dict for the table and a shell that
records what would reach Faust: outputs handed to the producer (whose
deliveries the test can hold back), table writes, acknowledgements. The
properties: the outputs and the state are those of the pure matcher fed
one event at a time, whatever the batch sizes and however the writer is
scheduled; nothing of a batch is written before all its outputs are
delivered, and no event is acknowledged before its state is written; a
failure to deliver stops the worker with nothing acknowledged; an engine
error in the middle of a batch costs only the failing event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jaring.scenario import applications, month_ticks, pledges
from models.codec import dead_letter, encode
from models.eligibility import CityPolicy
from models.events import DeadLetter, OutputEvent, region_of
from models.matcher import RegionMatcher
from streams.batch import MatchBatch, Shell
from streams.state import RegionStore

KEY = b"test-pseudonym-key-0123456789abcdef"
POLICY = CityPolicy(served_regencies=("74.71", "74.01"))
TOPIC = "jaring.region-log.v1"
MAX_MESSAGE_BYTES = 1_000_000


@dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int
    timestamp: float


@dataclass(frozen=True)
class Event:
    message: Message
    value: bytes | None
    key: bytes | None = b"74.71"


class WorkerStoppedError(Exception):
    """The worker would have exited here."""


class RecordingTable(dict[str, Any]):
    def __init__(self, log: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.log = log

    def __setitem__(self, key: str, value: Any) -> None:
        self.log.append(("write", key))
        super().__setitem__(key, value)


@dataclass
class FakeFaust:
    """The shell's side: what was sent, written and acknowledged, in one timeline."""

    hold: bool = False
    fail: bool = False
    fail_state: bool = False
    """The broker refuses the table records."""
    stops: list[str] = field(default_factory=list)
    counted: list[DeadLetter] = field(default_factory=list)
    """Dead letters counted and logged (``Shell.dead_lettered``), in order."""
    timeline: list[tuple[str, Any]] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    """Events per batch written, in order."""
    sent: list[OutputEvent | DeadLetter] = field(default_factory=list)
    held: list[asyncio.Future[None]] = field(default_factory=list)
    changelog: list[tuple[int, str, Any]] = field(default_factory=list)
    """Table records sent, with their partition, in order."""

    async def send(self, outputs: Sequence[OutputEvent | DeadLetter]) -> list[asyncio.Future[Any]]:
        loop = asyncio.get_running_loop()
        deliveries: list[asyncio.Future[Any]] = []
        for output in outputs:
            self.sent.append(output)
            self.timeline.append(("send", output.event_id))
            future: asyncio.Future[None] = loop.create_future()
            if self.fail:
                future.set_exception(ConnectionError("broker unreachable"))
            elif self.hold:
                self.held.append(future)
            else:
                future.set_result(None)
            deliveries.append(future)
        return deliveries

    def answer(self) -> None:
        """Deliver what is held back so far."""
        for future in self.held:
            future.set_result(None)
        self.held.clear()

    def release(self) -> None:
        self.answer()
        self.hold = False

    async def persist(self, message: Message, records: list[tuple[str, Any]]) -> list[asyncio.Future[Any]]:
        self.timeline.append(("persist", len(records)))
        self.changelog.extend((message.partition, key, value) for key, value in records)
        delivery: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.fail_state:
            asyncio.get_running_loop().call_soon(delivery.set_exception, ConnectionError("changelog refused"))
        else:
            delivery.set_result(None)
        return [delivery]

    def recovered(self) -> dict[str, Any]:
        """The table a restarted worker rebuilds from the changelog alone."""
        return {key: value for _, key, value in self.changelog}

    on_ack: Any = None

    async def ack(self, event: Event) -> None:
        self.timeline.append(("ack", event.message.offset))
        if self.on_ack is not None:
            self.on_ack(event)

    def dead_lettered(self, letter: DeadLetter) -> None:
        self.timeline.append(("counted", letter.event_id))
        self.counted.append(letter)

    def stop(self, message: str) -> NoReturn:
        self.stops.append(message)
        raise WorkerStoppedError(message)

    def shell(self) -> Shell:
        return Shell(
            send=self.send,
            ack=self.ack,
            persist=self.persist,
            rejection=lambda message, raw, error: dead_letter(
                source_topic=message.topic, partition=message.partition, offset=message.offset, raw=raw,
                error=error, event_time=datetime.fromtimestamp(message.timestamp, tz=UTC),
                max_message_bytes=MAX_MESSAGE_BYTES,
            ),
            dead_lettered=self.dead_lettered,
            observe=lambda region, steps: None,
            written=self.sizes.append,
            stop=self.stop,
        )


def workload(seed: int, workers: int, seats: list[int], months: int) -> list[Any]:
    """Two regencies' applications, pledges and month closes, in time order, with replays."""
    start = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    events: list[Any] = [
        *applications(workers, seed=seed, start=start, spacing=timedelta(hours=6)),
        *applications(workers // 2, seed=seed + 1, start=start, spacing=timedelta(hours=9),
                      region="74.01", districts=("74.01.01",), id_prefix="south"),
        *pledges(seats, start=start + timedelta(days=2), valid_days=120),
        *pledges(seats[:1], start=start + timedelta(days=3), region="74.01", id_prefix="south"),
        *month_ticks("2026-01", months),
        *month_ticks("2026-01", months, region="74.01"),
    ]
    events.sort(key=lambda event: event.event_time)
    return events + events[: len(events) // 5]  # a producer's retries arrive again


def as_records(events: list[Any], junk_every: int = 0) -> list[Event]:
    records = []
    for n, event in enumerate(events):
        if junk_every and n % junk_every == junk_every - 1:
            records.append(Event(Message(TOPIC, 0, len(records), 1.7e9), b'{"type": "nonsense"'))
        key = region_of(event).encode()
        records.append(Event(Message(TOPIC, 0, len(records), 1.7e9), encode(event), key))
    return records


def one_at_a_time(events: list[Any]) -> tuple[list[str], dict[str, Any]]:
    matchers: dict[str, RegionMatcher] = {}
    ids: list[str] = []
    for event in events:
        region = region_of(event)
        matcher = matchers.setdefault(region, RegionMatcher(region, KEY, policy=POLICY))
        ids.extend(output.event_id for output in matcher.handle(event).outputs)
    return ids, {region: matcher.snapshot() for region, matcher in matchers.items()}


async def drain(batch: MatchBatch, writer: asyncio.Future[None], release: Any = None) -> None:
    """Wait until every batch is written; the writer's own failure is raised here."""
    for _ in range(10_000):
        if writer.done():
            writer.result()
        if not len(batch) and batch.idle:
            writer.cancel()
            return
        if release is not None:
            release()
        await asyncio.sleep(0)
    raise AssertionError("the writer never finished the batches")


async def run(batch: MatchBatch, records: list[Event], pauses: list[int]) -> None:
    """Take every record; after each, let the writer run ``pauses[n]`` times; then drain."""
    writer = asyncio.ensure_future(batch.write_batches())
    for n, record in enumerate(records):
        await batch.take(record)
        for _ in range(pauses[n % len(pauses)]):
            await asyncio.sleep(0)
    await drain(batch, writer)


def restored(table: dict[str, Any], regions: list[str]) -> dict[str, Any]:
    store = RegionStore(table, KEY, POLICY)
    return {region: store.matcher(region).snapshot() for region in regions}


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    workers=st.integers(1, 30),
    seats=st.lists(st.integers(1, 8), min_size=1, max_size=3),
    months=st.integers(0, 3),
    max_events=st.integers(1, 12),
    pauses=st.lists(st.integers(0, 4), min_size=1, max_size=8),
    spill_at=st.sampled_from([1, 2, 7, 10_000]),
)
def test_batches_decide_exactly_what_one_event_at_a_time_decides(
    seed: int, workers: int, seats: list[int], months: int, max_events: int, pauses: list[int],
    spill_at: int,
) -> None:
    """Whatever the batching, and whether closes and pledges spill their outputs in chunks from
    the step thread (``spill_at``: a region that large, chunks that long) or not."""
    events = workload(seed, workers, seats, months)
    records = as_records(events)
    faust = FakeFaust()
    table = RecordingTable(faust.timeline)
    batch = MatchBatch(RegionStore(table, KEY, POLICY), faust.shell(), max_events=max_events,
                       spill_at=spill_at)

    asyncio.run(run(batch, records, pauses))

    expected_ids, expected_state = one_at_a_time(events)
    assert [output.event_id for output in faust.sent] == expected_ids
    assert restored(dict(table), sorted(expected_state)) == expected_state
    assert restored(faust.recovered(), sorted(expected_state)) == expected_state
    assert {partition for partition, _, _ in faust.changelog} == {0}  # the region log's partition
    assert [x for kind, x in faust.timeline if kind == "ack"] == list(range(len(records)))
    assert max(faust.sizes) <= max_events


def test_nothing_is_written_before_the_outputs_are_delivered_nor_acknowledged_before_it_is_written() -> None:
    events = workload(seed=3, workers=12, seats=[4, 4], months=2)
    faust = FakeFaust(hold=True)
    table = RecordingTable(faust.timeline)
    batch = MatchBatch(RegionStore(table, KEY, POLICY), faust.shell(), max_events=10_000)

    async def scenario() -> None:
        writer = asyncio.ensure_future(batch.write_batches())
        for record in as_records(events):
            await batch.take(record)
        for _ in range(20):
            await asyncio.sleep(0)
        kinds = {kind for kind, _ in faust.timeline}
        assert kinds == {"send"}, "state written or events acknowledged while outputs were undelivered"
        faust.release()
        await drain(batch, writer)

    asyncio.run(scenario())

    kinds = [kind for kind, _ in faust.timeline]
    last_send, first_write = max(i for i, k in enumerate(kinds) if k == "send"), kinds.index("write")
    last_write, first_ack = max(i for i, k in enumerate(kinds) if k == "write"), kinds.index("ack")
    first_persist = kinds.index("persist")
    last_persist = max(i for i, k in enumerate(kinds) if k == "persist")
    assert last_send < first_write and last_write < first_ack
    assert last_send < first_persist and last_persist < first_ack


def test_spilled_steps_fold_the_same_dashboard_series_and_levels_as_whole_ones() -> None:
    events = workload(seed=5, workers=20, seats=[6, 6], months=3)
    tables = []
    for spill_at, max_events in ((1, 10_000), (3, 4), (10_000, 10_000)):  # steps before a tick in its batch
        faust = FakeFaust()
        table = RecordingTable(faust.timeline)
        batch = MatchBatch(RegionStore(table, KEY, POLICY), faust.shell(), max_events=max_events,
                           spill_at=spill_at)
        asyncio.run(run(batch, as_records(events), [0]))
        tables.append(dict(table))
    series = [
        {region: (store.series(region), store.matcher(region).snapshot()) for region in ("74.01", "74.71")}
        for store in (RegionStore(table, KEY, POLICY) for table in tables)
    ]
    assert series[0]["74.71"][0], "the workload must move the series"
    assert series[0] == series[1] == series[2]
    levels = [{k: v for k, v in table.items() if "|l|" in k} for table in tables]
    assert levels[0] == levels[1] == levels[2]


def test_each_batch_is_written_with_its_own_values_never_a_later_batch_s() -> None:
    """The agent runs ahead while a batch waits for the broker; what is written must not."""
    events = workload(seed=8, workers=24, seats=[5, 5], months=2)
    faust = FakeFaust()
    table = RecordingTable(faust.timeline)
    batch = MatchBatch(RegionStore(table, KEY, POLICY), faust.shell(), max_events=6)
    regions = sorted({region_of(e) for e in events})
    seen: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    faust.on_ack = lambda event: seen.append(
        (event.message.offset, restored(dict(table), regions), restored(faust.recovered(), regions))
    )

    async def broker() -> None:
        """Answers late, so the agent gets ahead of the writer."""
        while True:
            for _ in range(4):
                await asyncio.sleep(0)
            faust.answer()

    async def scenario() -> None:
        writer = asyncio.ensure_future(batch.write_batches())
        answering = asyncio.ensure_future(broker())
        for n, record in enumerate(as_records(events)):
            faust.hold = n % 9 < 6
            await batch.take(record)
        await drain(batch, writer, release=faust.release)
        answering.cancel()

    asyncio.run(scenario())

    assert len(faust.sizes) > 5 and max(faust.sizes) > 1
    ends = [sum(faust.sizes[: n + 1]) for n in range(len(faust.sizes))]
    for offset, state, sent in seen:
        end = next(e for e in ends if e > offset)
        expected = one_at_a_time(events[:end])[1]
        assert state == {r: expected.get(r, restored({}, [r])[r]) for r in regions}, offset
        assert sent == state, offset  # what a crash right after this acknowledgement recovers


def test_an_undelivered_output_stops_the_worker_with_nothing_written_or_acknowledged() -> None:
    faust = FakeFaust(fail=True)
    table = RecordingTable(faust.timeline)
    batch = MatchBatch(RegionStore(table, KEY, POLICY), faust.shell(), max_events=100)

    async def scenario() -> None:
        for record in as_records(workload(seed=4, workers=5, seats=[2], months=1)):
            await batch.take(record)
        await batch.write_next()

    with pytest.raises(WorkerStoppedError, match="batch_unfinished: ConnectionError"):
        asyncio.run(scenario())
    assert {kind for kind, _ in faust.timeline} == {"send"}


def test_table_records_the_broker_refuses_stop_the_worker() -> None:
    """Their events may be acknowledged already: without a stop, a later commit would pass them."""
    faust = FakeFaust(fail_state=True)
    batch = MatchBatch(RegionStore({}, KEY, POLICY), faust.shell(), max_events=100)

    async def scenario() -> None:
        for record in as_records(workload(seed=4, workers=5, seats=[2], months=1)):
            await batch.take(record)
        await batch.write_next()
        await asyncio.sleep(0)  # the broker's answer arrives
        await asyncio.sleep(0)

    asyncio.run(scenario())
    assert faust.stops and faust.stops[0].startswith("state_unwritten: ConnectionError")


def test_an_engine_error_mid_batch_costs_only_its_event_even_with_the_previous_batch_in_flight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = workload(seed=5, workers=20, seats=[6, 6], months=2)
    victim = next(e for e in events[len(events) // 2 :] if region_of(e) == "74.71")
    original = RegionMatcher.handle

    def handle_then_fail(self: RegionMatcher, event: Any) -> Any:
        step = original(self, event)  # the whole step lands in memory, then the engine fails
        if event.event_id == victim.event_id:
            raise ZeroDivisionError("planted")
        return step

    monkeypatch.setattr(RegionMatcher, "handle", handle_then_fail)
    faust = FakeFaust()
    table = RecordingTable(faust.timeline)
    batch = MatchBatch(RegionStore(table, KEY, POLICY), faust.shell(), max_events=10_000)
    records = as_records(events)
    cut = events.index(victim)

    async def scenario() -> None:
        writer = asyncio.ensure_future(batch.write_batches())
        for record in records[: cut // 2]:
            await batch.take(record)
        faust.hold = True  # the first batch is taken and waits for the broker ...
        await asyncio.sleep(0)
        for record in records[cut // 2 :]:  # ... while the next one meets the error
            if faust.hold and record is records[cut]:
                asyncio.get_running_loop().call_later(0.01, faust.release)
            await batch.take(record)
        await drain(batch, writer)

    asyncio.run(scenario())
    monkeypatch.setattr(RegionMatcher, "handle", original)

    survivors = [e for e in events if e.event_id != victim.event_id]
    expected_ids, expected_state = one_at_a_time(survivors)
    letters = [o for o in faust.sent if isinstance(o, DeadLetter)]
    assert [(d.offset, d.reason) for d in letters] == [(cut, "engine_error")]
    assert [o.event_id for o in faust.sent if not isinstance(o, DeadLetter)] == expected_ids
    assert restored(dict(table), sorted(expected_state)) == expected_state
    assert restored(faust.recovered(), sorted(expected_state)) == expected_state
    assert [x for kind, x in faust.timeline if kind == "ack"] == list(range(len(records)))


def test_unreadable_records_are_dead_lettered_in_the_batch_and_acknowledged() -> None:
    events = workload(seed=6, workers=8, seats=[3], months=1)
    records = as_records(events, junk_every=4)
    faust = FakeFaust()
    batch = MatchBatch(RegionStore({}, KEY, POLICY), faust.shell(), max_events=7)

    asyncio.run(run(batch, records, [0, 1]))

    junk = [r.message.offset for r in records if r.value.startswith(b'{"type": "nonsense"')]
    letters = [o for o in faust.sent if isinstance(o, DeadLetter)]
    assert [d.offset for d in letters] == junk and {d.reason for d in letters} == {"not_json"}
    assert [o.event_id for o in faust.sent if not isinstance(o, DeadLetter)] == one_at_a_time(events)[0]
    assert [x for kind, x in faust.timeline if kind == "ack"] == list(range(len(records)))


def test_a_full_batch_waits_for_the_writer_to_take_it() -> None:
    records = as_records(workload(seed=7, workers=6, seats=[2], months=0))
    batch = MatchBatch(RegionStore({}, KEY, POLICY), FakeFaust().shell(), max_events=3)

    async def scenario() -> None:
        for record in records[:3]:
            await batch.take(record)
        fourth = asyncio.ensure_future(batch.take(records[3]))
        await asyncio.sleep(0.01)
        assert not fourth.done() and len(batch) == 3
        await batch.write_next()
        await fourth
        assert len(batch) == 1

    asyncio.run(scenario())


def bad_region_log_records(first_offset: int) -> list[Event]:
    """What a foreign producer could append to the region log: none of it is an input the matcher takes."""
    stray = applications(2, seed=99, id_prefix="stray")
    bad: list[tuple[bytes | None, bytes | None]] = [
        (None, b"74.71"),  # a NULL value: a tombstone
        (b"", b"74.71"),
        (b"\xff\xfe\x00\x01 binary", b"74.71"),
        (b"{" * 2_000_000, b"74.71"),  # larger than a dead letter may be
        (encode(stray[0]), b"74.01"),  # a valid event keyed by another region
        (encode(stray[1]), None),
    ]
    return [Event(Message(TOPIC, 0, first_offset + n, 1.7e9), value, key)
            for n, (value, key) in enumerate(bad)]


def test_any_unreadable_region_log_record_is_dead_lettered_and_counted_only_once_delivered() -> None:
    events = workload(seed=9, workers=6, seats=[2], months=1)
    valid = as_records(events)
    bad = bad_region_log_records(len(valid))
    faust = FakeFaust(hold=True)
    batch = MatchBatch(RegionStore({}, KEY, POLICY), faust.shell(), max_events=10_000)

    async def scenario() -> None:
        writer = asyncio.ensure_future(batch.write_batches())
        for record in [*valid, *bad]:
            await batch.take(record)
        for _ in range(20):
            await asyncio.sleep(0)
        assert not faust.counted, "a dead letter was counted before the broker had it"
        faust.release()
        await drain(batch, writer)

    asyncio.run(scenario())

    letters = [o for o in faust.sent if isinstance(o, DeadLetter)]
    reasons = ["null_value", "not_json", "not_json", "not_json", "wrong_key", "wrong_key"]
    assert [(d.offset, d.reason) for d in letters] == [(len(valid) + n, r) for n, r in enumerate(reasons)]
    assert faust.counted == letters
    assert [d.original_null for d in letters] == [True, False, False, False, False, False]
    assert letters[3].truncated and letters[3].original_size == 2_000_000
    assert all(len(encode(d)) <= MAX_MESSAGE_BYTES for d in letters)
    assert [o.event_id for o in faust.sent if not isinstance(o, DeadLetter)] == one_at_a_time(events)[0]
    kinds = [kind for kind, _ in faust.timeline]
    assert max(i for i, k in enumerate(kinds) if k == "send") < kinds.index("counted") < kinds.index("ack")
    assert [x for kind, x in faust.timeline if kind == "ack"] == list(range(len(valid) + len(bad)))


def test_a_dead_letter_the_broker_refuses_stops_the_worker_uncounted_and_unacknowledged() -> None:
    faust = FakeFaust(fail=True)
    batch = MatchBatch(RegionStore({}, KEY, POLICY), faust.shell(), max_events=100)

    async def scenario() -> None:
        for record in bad_region_log_records(0):
            await batch.take(record)
        await batch.write_next()

    with pytest.raises(WorkerStoppedError, match="batch_unfinished: ConnectionError"):
        asyncio.run(scenario())
    assert faust.counted == []
    assert {kind for kind, _ in faust.timeline} == {"send"}
