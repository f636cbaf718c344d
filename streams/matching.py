"""The matcher agent: region log in, coverage, pledge status and funding out.

A thin shell over ``models.matcher.RegionMatcher``: events are handled in
batches (``streams.batch``), whose outputs are acknowledged by the broker
before the state that records them is written (``streams.state``), so after
a crash a replayed event either finds its state written (and emits nothing
new) or re-emits the very same outputs, with the same ids, which consumers
drop. Acknowledgements to Faust are manual (``noack``), after the state is
written. Concurrency is 1: the agent writes tables, and Faust can commit past
an in-flight event at higher concurrency. A record that arrives past one
never delivered stops the worker (``streams.continuity``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any, NoReturn, cast

from streams import catalogue
from streams.batch import MatchBatch, Shell
from streams.continuity import EXIT_INPUT_GAP, Continuity
from streams.engine import app, metrics, settings
from streams.outputs import dead_lettered, rejection, send
from streams.repairs import changelog
from streams.repairs.changelog import TableData
from streams.repairs.offsets import committed_offset
from streams.repairs.producer import DurableProducer
from streams.state import RegionStore

__all__ = ["EXIT_BATCH_UNFINISHED", "fail_stop", "match", "region_state", "store"]

log = logging.getLogger(__name__)

EXIT_BATCH_UNFINISHED = 71
"""The worker's exit status when a batch's outputs or state, a dead letter or a region-log copy
could not be written."""


region_state = app.Table(
    "region-state", default=None, partitions=settings.topic_partitions, value_type=bytes
)  # values are JSON bytes already (``streams.state``): kept as bytes, in memory as on the changelog
store = RegionStore(
    TableData(region_state), settings.pseudonym_key.get_secret_value().encode(), settings.city_policy()
)


continuity = Continuity()


def _forget_on_rebalance(sender: Any, /, *args: Any, **kwargs: Any) -> None:
    """Partitions moved: a cached matcher may be stale, rebuild from the recovered table."""
    store.forget()
    continuity.forget()


def fail_stop(code: int, message: str) -> NoReturn:
    """Exit at once, as a SIGKILL would: a restart replays from the last commit."""
    log.critical("%s; stopping the worker so that a restart replays from the last commit", message)
    logging.shutdown()
    os._exit(code)


def _stop_at_hole(message: Any) -> None:
    """Stop rather than match past records never delivered."""
    committed = committed_offset(app.consumer, message.tp)  # where Faust sought this partition to
    hole = continuity.check(message.topic, message.partition, message.offset, committed)
    if hole is not None:
        fail_stop(EXIT_INPUT_GAP, str(hole))


app.on_partitions_revoked.connect(_forget_on_rebalance)
app.on_partitions_assigned.connect(_forget_on_rebalance)


async def _persist(message: Any, records: list[tuple[str, Any]]) -> list[asyncio.Future[Any]]:
    return await changelog.send(region_state, cast(DurableProducer, app.producer), message, records)


def _shell(stream: Any) -> Shell:
    def stop(message: str) -> NoReturn:
        fail_stop(EXIT_BATCH_UNFINISHED, message)

    return Shell(
        send=send,
        ack=stream.ack,
        persist=_persist,
        rejection=rejection,
        dead_lettered=lambda letter: dead_lettered("matcher", letter),
        observe=_observe,
        written=metrics.batch_events.observe,
        stop=stop,
    )


def _writer_ended(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        fail_stop(EXIT_BATCH_UNFINISHED, f"batch_unfinished: the writer failed: {task.exception()!r}")


@app.agent(catalogue.region_log, concurrency=1)
async def match(stream: Any) -> None:
    manual = stream.noack()
    batch = MatchBatch(store, _shell(manual), max_events=settings.batch_max)
    writer = asyncio.ensure_future(batch.write_batches())
    writer.add_done_callback(_writer_ended)
    try:
        async for event in manual.events():
            _stop_at_hole(event.message)
            try:
                await batch.take(event)
            except Exception as error:
                # Faust would restart the agent with this batch never acknowledged,
                # which stalls the next rebalance; a restart replays it instead.
                fail_stop(EXIT_BATCH_UNFINISHED, f"batch_unfinished: {type(error).__name__}: {error}")
    finally:
        writer.cancel()


_runways: dict[str, dict[str, int]] = {}


def _observe(region: str, steps: list[tuple[list[Any], float]]) -> None:
    """Metrics only: the wall clock measures latency here, it never decides anything."""
    metrics.events.labels("matcher").inc(len(steps))
    now = time.time()  # the batch's outputs are all delivered by now
    for outputs, input_timestamp in steps:
        metrics.observe_outputs(outputs, latency_s=now - input_timestamp)
    if any(outputs for outputs, _ in steps):
        emitted = (output for outputs, _ in steps for output in outputs)
        runways = metrics.runways(emitted, _runways.setdefault(region, {}))
        metrics.observe_region(region, store.levels(region), runways)


@app.timer(interval=5.0)
async def _measure_lag() -> None:
    """Records behind the end of each partition this worker holds."""
    for tp in app.consumer.assignment():
        position = await app.consumer.position(tp)
        end = app.consumer.highwater(tp)
        if position is not None and end is not None:
            metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, end - position))
