"""Group commit for the matcher: many events, one wait for the broker, one journaled write per region.

One event at a time, every event waited a broker round trip for its outputs
before its state could be written, and wrote a journal of its own: a few
hundred events a second. Here the agent handles events into an open batch
while a writer task finishes the batch before it, and the writer takes the
open batch whenever it is free, sends its outputs (one Kafka batch per
partition), waits for them once, and sends each region's table records as
one Kafka batch too (``streams.repairs.changelog``). Batches grow with the load by themselves: a
quiet stream is written event by event, as fast as before, and a busy one in
batches of up to ``max_events``.

The guarantee (``streams.state``) is the same, over a batch: every output of
a batch is acknowledged by the broker before any state of the batch is
written, and no event of the batch is acknowledged to Faust (so none is
committed) before its region's state is written. A crash anywhere in between
replays the whole batch from the last commit: the matcher is deterministic,
so the replay re-emits the same outputs with the same ids, which consumers
drop, and each region's write is one journaled step, landed whole or not at
all. Batches are written in the order they were handled, and a batch's
record values are fixed when the writer takes it (``RegionStore.changes``),
so they never include a later, unacknowledged batch. A record the matcher
cannot read (whatever its bytes or key) becomes a dead letter among the
batch's outputs: counted and logged once delivered, and, like any output
the broker refuses, a refused one stops the worker.

Nothing waits on the stream with events in hand: a rebalance clears the
stream's buffer and then waits until every event taken is acknowledged, and
the writer finishes the open batch without the agent. (Faust's
``take_events`` waits on the stream for a full batch, and acknowledges its
batch even when the agent failed.)

A step that may be large (in a region of ``SPILL_AT`` workers or more, a
month close, which bills every active term, or a pledge, which may fill a
hundred thousand seats) runs in a thread of its own and spills
its outputs as it makes them (``RegionMatcher.handle(spill=...)``): each
chunk is sent, delivered and folded into the dashboard before the step goes
on, so a close of a million terms holds a few thousand outputs at a time,
not a million, and the event loop keeps the consumer's heartbeats going.
The guarantee above is unchanged: every chunk is acknowledged before the
batch's state is written.

Python's cyclic garbage collector is off while such a step runs
(``collections_paused``): a close allocates a few objects per covered worker
(a line, its dict, its id), so about four young collections per 1,000 terms
and a full one or two ran during a close, and a full one walks the whole
region's state, which is never garbage: a third to a half of a close's time
at 20,000 to 50,000 covered workers (``benchmarks/close.py``), growing with
the region. Nothing it makes is cyclic garbage (outputs are
freed by their reference counts once delivered), so nothing waits to be
collected but the loop's own few; collection resumes, with its usual
thresholds, when the step ends, however it ends.

Faust is reached only through ``Shell``, so this is tested without a broker
(``tests/unit/streams/test_batch.py``).
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

from models.codec import INPUT_TYPES, decode_input
from models.errors import JaringError
from models.events import DeadLetter, Input, MonthTick, OutputEvent, PledgeSubmitted, region_of
from models.matcher import RegionMatcher, Step
from streams.state import RegionStore

__all__ = ["MatchBatch", "Shell", "collections_paused"]

log = logging.getLogger(__name__)

Output = OutputEvent | DeadLetter


@dataclass(frozen=True)
class Shell:
    """What the batches need from Faust and the process; tests give their own."""

    send: Callable[[Sequence[Output]], Awaitable[list[asyncio.Future[Any]]]]
    """Hand a batch's outputs to the producer; returns their deliveries (``streams.outputs.send``)."""
    ack: Callable[[Any], Awaitable[Any]]
    """Acknowledge a taken event to Faust, so that its offset can be committed."""
    persist: Callable[[Any, list[tuple[str, Any]]], Awaitable[list[asyncio.Future[Any]]]]
    """Send a region's table records, in order, to the changelog partition of this input message's.

    Returns their deliveries: the producer's flush waits for them before any
    offset is committed, and a failed one stops the worker."""
    rejection: Callable[[Any, bytes | None, JaringError], DeadLetter]
    """The dead letter of a record, whatever its bytes (``streams.outputs.rejection``)."""
    dead_lettered: Callable[[DeadLetter], None]
    """Count and log a dead letter, once the broker has acknowledged it (``streams.outputs``)."""
    observe: Callable[[str, list[tuple[list[OutputEvent], float]]], None]
    """Metrics of a region's part of a batch: each step's outputs and its input's broker timestamp."""
    written: Callable[[int], None]
    """Metrics of a batch written: how many events it held."""
    stop: Callable[[str], NoReturn]
    """Fail-stop the worker with this message."""


@dataclass
class _Region:
    matcher: RegionMatcher
    last: Any
    """The region's latest event taken: its state is written to that event's partition."""
    inputs: list[Input] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    timestamps: list[float] = field(default_factory=list)
    absorbed: int = 0
    """Steps whose outputs the dashboard took already (before a large step spilled)."""


_LARGE = (MonthTick, PledgeSubmitted)
"""Inputs whose step grows with the region: in a large region, run in a thread, outputs spilled."""

SPILL_AT = 5_000
"""Outputs per spilled chunk: one Kafka round trip each, a few MB of memory; also the region size
(workers) from which a close or a pledge runs that way (smaller regions' steps are small anyway)."""


@contextmanager
def collections_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a large step (the module docstring), back on after it
    however it ends, unless the process had turned it off itself."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@dataclass
class _Batch:
    events: list[Any] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    letters: list[DeadLetter] = field(default_factory=list)
    """The dead letters among ``outputs``, counted once delivered."""
    regions: dict[str, _Region] = field(default_factory=dict)


class MatchBatch:
    """The open batch, handled in memory, and the writer that finishes batches in order."""

    def __init__(
        self, store: RegionStore, shell: Shell, *, max_events: int, spill_at: int = SPILL_AT
    ) -> None:
        self._store = store
        self._shell = shell
        self._max = max_events
        self._spill_at = spill_at
        self._lock = asyncio.Lock()  # the agent holds it for a whole event, the writer to take a batch
        self._open = _Batch()
        self._ready = asyncio.Event()  # the open batch has events
        self._room = asyncio.Event()  # the open batch was taken
        self._written = asyncio.Event()  # no batch is being written
        self._written.set()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="jaring-step")

    def __len__(self) -> int:
        """Events in the open batch."""
        return len(self._open.events)

    @property
    def idle(self) -> bool:
        """No batch is being written."""
        return self._written.is_set()

    async def take(self, event: Any) -> None:
        """Handle one event into the open batch (waiting while a full one is not yet taken)."""
        while len(self._open.events) >= self._max:
            self._room.clear()
            await self._room.wait()
        async with self._lock:
            self._open.events.append(event)
            await self._handle(event)
        self._ready.set()

    async def write_batches(self) -> None:
        """The writer: run beside the agent for as long as it runs."""
        while True:
            await self._ready.wait()
            await self.write_next()

    async def write_next(self) -> None:
        """Take the open batch and finish it: outputs sent and delivered, state, acknowledgements."""
        async with self._lock:
            batch, self._open = self._open, _Batch()
            self._ready.clear()
            self._room.set()
            if not batch.events:
                return
            self._written.clear()
            try:
                changes = [(region, work, self._store.changes(region, work.matcher, work.steps,
                                                              absorbed=work.absorbed))
                           for region, work in batch.regions.items()]
            except Exception as error:
                self._unfinished(batch, error)
        try:
            if batch.outputs:
                await asyncio.gather(*await self._shell.send(batch.outputs))
            for letter in batch.letters:  # on the topic now; a refused one stopped the worker above
                self._shell.dead_lettered(letter)
            for region, work, upserts in changes:
                records = self._store.write(region, upserts)
                if records:
                    for delivery in await self._shell.persist(work.last.message, records):
                        delivery.add_done_callback(self._state_delivered)
                self._shell.observe(region, [(step.outputs, timestamp) for step, timestamp
                                             in zip(work.steps, work.timestamps, strict=True)])
            for event in batch.events:
                await self._shell.ack(event)
        except Exception as error:
            self._unfinished(batch, error)
        self._shell.written(len(batch.events))
        self._written.set()

    def _state_delivered(self, delivery: asyncio.Future[Any]) -> None:
        # The batch's events may be acknowledged already: a later commit would
        # pass them with their state lost. Stop first; a restart replays them.
        if not delivery.cancelled() and delivery.exception() is not None:
            self._shell.stop(f"state_unwritten: {delivery.exception()!r}; the events whose state it "
                             "held may be acknowledged, and none may be committed")

    def _unfinished(self, batch: _Batch, error: Exception) -> NoReturn:
        # Outputs may be lost or state half-sent: carrying on in memory would
        # build on either. A restart replays the batch from the last commit.
        self._shell.stop(
            f"batch_unfinished: {type(error).__name__}: {error}; the last {len(batch.events)} events "
            "were not acknowledged"
        )

    async def _handle(self, event: Any) -> None:
        message, raw = event.message, event.value
        region: str | None = None
        try:
            decoded = decode_input(raw, event.key, INPUT_TYPES, "the region log")
            region = region_of(decoded)
            work = self._region(region, event)
            if isinstance(decoded, _LARGE) and work.matcher.population() >= self._spill_at:
                step = await self._large_step(region, work, decoded, message.timestamp)
            else:
                step = work.matcher.handle(decoded)
        except JaringError as error:
            self._reject(message, raw, error)
            return
        except Exception as error:
            log.exception("engine error at %s[%s]@%s", message.topic, message.partition, message.offset)
            if region is not None:
                await self._redo(region)
            self._reject(message, raw, JaringError(
                "engine_error", f"{type(error).__name__} while matching; the event is kept here for replay"
            ))
            return
        work.last = event
        work.inputs.append(decoded)
        work.steps.append(step)
        work.timestamps.append(message.timestamp)
        self._open.outputs.extend(step.outputs)

    async def _large_step(self, region: str, work: _Region, decoded: Input, timestamp: float) -> Step:
        """Run the step in the step thread; each spilled chunk is sent, delivered, folded and observed
        on the loop before the step goes on.

        Outputs keep their order: the batch before is written and the open batch's outputs so far
        are delivered before the first chunk, and the region's earlier steps are folded first.
        """
        await self._written.wait()
        if self._open.outputs:
            await asyncio.gather(*await self._shell.send(self._open.outputs))
            self._open.outputs = []  # its dead letters stay listed: the writer counts them
        self._store.absorb(region, [output for step in work.steps[work.absorbed:] for output in step.outputs])
        work.absorbed = len(work.steps)
        loop = asyncio.get_running_loop()

        async def deliver(chunk: list[OutputEvent]) -> None:
            await asyncio.gather(*await self._shell.send(chunk))
            self._store.absorb(region, chunk)
            self._shell.observe(region, [(chunk, timestamp)])

        def spill(chunk: list[OutputEvent]) -> None:  # in the step thread: wait for the loop to deliver
            asyncio.run_coroutine_threadsafe(deliver(chunk), loop).result()

        handle = functools.partial(work.matcher.handle, decoded, spill=spill, spill_at=self._spill_at)
        with collections_paused():  # the module docstring: they would walk the region for nothing
            step = await loop.run_in_executor(self._thread, handle)
        self._store.absorb(region, step.outputs)
        work.absorbed = len(work.steps) + 1  # this step, once appended, is folded already
        return step

    def _reject(self, message: Any, raw: bytes | None, error: JaringError) -> None:
        letter = self._shell.rejection(message, raw, error)
        self._open.outputs.append(letter)
        self._open.letters.append(letter)

    def _region(self, region: str, event: Any) -> _Region:
        work = self._open.regions.get(region)
        if work is None:
            work = self._open.regions[region] = _Region(self._store.matcher(region), event)
        return work

    async def _redo(self, region: str) -> None:
        """The matcher may be half-way through a step: rebuild it from the table, redo the open batch.

        Once the batch before is written, the table holds the region as it was
        before the open batch; handling the same inputs again gives the same
        steps (whose outputs, already in the batch, are not added again).
        """
        await self._written.wait()
        self._store.forget(region)
        work = self._open.regions.pop(region, None)
        if work is None:
            return  # the next event of the region rebuilds it
        try:
            redone = self._region(region, work.last)
            redone.inputs, redone.timestamps = work.inputs, work.timestamps
            redone.steps = [redone.matcher.handle(decoded) for decoded in work.inputs]
        except Exception as again:
            self._shell.stop(f"engine_error: {region} cannot be rebuilt from its table "
                             f"({type(again).__name__}: {again})")
