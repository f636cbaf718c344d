"""The matcher agent: region log in, coverage, pledge status and funding out.

A thin shell over ``models.matcher.RegionMatcher``: decode, hand the event
to its region's matcher, publish what it caused, then persist what it
changed. The order is the guarantee: outputs are acknowledged by the broker
before the state that records them is written (``streams.state``), so after
a crash a replayed event either finds its state written (and emits nothing
new) or re-emits the very same outputs, with the same ids, which consumers
drop. Concurrency is 1: the agent writes tables, and Faust can commit past
an in-flight event at higher concurrency. A record that arrives past one
never delivered stops the worker (``streams.continuity``).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from models.codec import decode
from models.eligibility import KENDARI, CityPolicy
from models.errors import JaringError
from models.events import ApplicationSubmitted, MonthTick, PledgeSubmitted
from streams import catalogue
from streams.app import app, metrics, settings
from streams.continuity import EXIT_INPUT_GAP, Continuity
from streams.outputs import publish, reject
from streams.router import region_of
from streams.state import RegionStore

__all__ = ["match", "region_state", "store"]

log = logging.getLogger(__name__)


def _policy() -> CityPolicy:
    if settings.policy_file is None:
        return KENDARI
    return CityPolicy.model_validate_json(Path(settings.policy_file).read_bytes())


region_state = app.Table("region-state", default=None, partitions=settings.topic_partitions)
store = RegionStore(region_state, settings.pseudonym_key.get_secret_value().encode(), _policy())


continuity = Continuity()


def _forget_on_rebalance(sender: Any, /, *args: Any, **kwargs: Any) -> None:
    """Partitions moved: a cached matcher may be stale, rebuild from the recovered table."""
    store.forget()
    continuity.forget()


def _stop_at_hole(message: Any) -> None:
    """Exit at once, as a SIGKILL would, rather than match past records never delivered."""
    if settings.processing_guarantee != "at_least_once":
        return  # transaction markers take offsets of their own
    consumer: Any = app.consumer
    committed = consumer._committed_offset.get(message.tp)  # where Faust sought this partition to
    hole = continuity.check(message.topic, message.partition, message.offset, committed)
    if hole is not None:
        log.critical("%s; stopping the worker so that a restart replays them from the last commit", hole)
        logging.shutdown()
        os._exit(EXIT_INPUT_GAP)


app.on_partitions_revoked.connect(_forget_on_rebalance)
app.on_partitions_assigned.connect(_forget_on_rebalance)


@app.agent(catalogue.region_log, concurrency=1)
async def match(stream: Any) -> None:
    async for event in stream.events():
        message, raw = event.message, event.value
        _stop_at_hole(message)
        try:
            decoded = decode(raw)
            if not isinstance(decoded, ApplicationSubmitted | PledgeSubmitted | MonthTick):
                raise JaringError("wrong_topic", f"{decoded.type} does not belong on the region log")
            region = region_of(decoded)
            matcher = store.matcher(region)
            step = matcher.handle(decoded)
        except Exception as error:
            known = error if isinstance(error, JaringError) else JaringError(
                "engine_error", f"{type(error).__name__} while matching; the event is kept here for replay"
            )
            if not isinstance(error, JaringError):
                log.exception("engine error at %s[%s]@%s", message.topic, message.partition, message.offset)
                store.forget()  # the matcher may be half-way through the step
            await reject("matcher", message, raw, known)
            continue
        await publish(step.outputs)
        store.persist(region, matcher, [step])
        _observe(region, step.outputs, message.timestamp)


_runways: dict[str, dict[str, int]] = {}


def _observe(region: str, outputs: list[Any], input_timestamp: float) -> None:
    """Metrics only: the wall clock measures latency here, it never decides anything."""
    metrics.events.labels("matcher").inc()
    if not outputs:
        return
    metrics.observe_outputs(outputs, latency_s=time.time() - input_timestamp)
    runways = metrics.runways(outputs, _runways.setdefault(region, {}))
    metrics.observe_region(region, store.levels(region), runways)


@app.timer(interval=5.0)
async def _measure_lag() -> None:
    """Records behind the end of each partition this worker holds."""
    for tp in app.consumer.assignment():
        position = await app.consumer.position(tp)
        end = app.consumer.highwater(tp)
        if position is not None and end is not None:
            metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, end - position))
