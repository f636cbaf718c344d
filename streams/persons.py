"""The person index agent: one person, one worker, across every region the worker serves.

A thin shell over ``models.persons`` (the decisions and their rules). The
router sends every application here first (``person-claims.v1``, keyed by
the NIK's pseudonym); the regions' answers to the engine's move requests
arrive on ``persons.v1`` under the same key, so one person's claims and
releases are on one partition, in order, and on one worker. The index is a
Faust table keyed by pseudonym whose changelog is on Kafka: it partitions
with the topics and survives a SIGKILL (a restart reads it back).

Actions are sent before the state is written, both through the producer
that the offset commit flushes first (``streams.repairs.producer``): a
crash before the commit replays the record, and the pure core repeats the
same actions under the same ids (the matchers and consumers drop repeats).
The one state that cannot repeat them, a move answered (the held
application, with its NIK and name, is dropped from the table), is written
only once the broker has acknowledged what the answer caused.
An application going on unchanged is its own bytes, with its own timestamp,
as the router copied it before: latency is still measured from intake.
"""

from __future__ import annotations

import asyncio
import re
from functools import partial
from typing import Any, cast

from models.codec import WRONG_KEY, WRONG_TOPIC, decode, dumps, encode, loads
from models.errors import JaringError
from models.events import ApplicationSubmitted, Event, PersonMoved, PersonReleased
from models.nik import pseudonym
from models.persons import Action, AskRelease, Forward, Person, Say, claim, release
from models.topics import PERSON_CLAIMS, PERSONS
from streams import catalogue
from streams.engine import app, metrics, settings
from streams.matching import EXIT_BATCH_UNFINISHED, fail_stop
from streams.outputs import reject, send

__all__ = ["index", "person_index"]

person_index = app.Table("person-index", default=None, partitions=settings.topic_partitions, value_type=bytes)
"""Pseudonym -> ``Person`` as JSON bytes."""

_topics = app.topic(
    catalogue.full_name(PERSON_CLAIMS.name), catalogue.full_name(PERSONS.name),
    key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
)
_claims = catalogue.full_name(PERSON_CLAIMS.name)
_region_log = catalogue.region_log.get_topic_name()
_pseudonym_key = settings.pseudonym_key.get_secret_value().encode()
_policy = settings.city_policy()


_PSEUDONYM = re.compile(rb"w_[0-9a-f]{24}")


@app.agent(_topics, concurrency=1)
async def index(stream: Any) -> None:
    async for event in stream.events():
        try:
            await _handle(event)
        except Exception as error:
            # Faust would restart the agent and let the offset pass the record; a restart replays it.
            fail_stop(EXIT_BATCH_UNFINISHED, f"person_index_failed: {_at(event.message)}: "
                                             f"{type(error).__name__}: {error}")


async def _handle(event: Any) -> None:
    """One record of the claims or of the regions' answers."""
    message, raw, key = event.message, event.value, event.key
    try:
        decoded = decode(raw)
        worker = _worker(key)
    except JaringError as error:  # only the engine writes these topics: a bug or a forger
        await _dead_letter(message, raw, error)
        return
    if isinstance(decoded, PersonMoved) and message.topic != _claims:
        return  # the index's own record
    wrong = _misplaced(decoded, worker, message.topic == _claims)
    if wrong is not None:
        await _dead_letter(message, raw, wrong)
        return
    assert isinstance(decoded, ApplicationSubmitted | PersonReleased)
    before = _load(person_index.get(worker))
    if isinstance(decoded, ApplicationSubmitted):
        state, actions = claim(before, worker, decoded, message.timestamp, _policy)
    else:
        state, actions = release(before, decoded)
    metrics.events.labels("persons").inc()
    deliveries = await _act(actions, raw, message)
    if before is not None and before.held is not None and (state is None or state.held is None):
        await _delivered(deliveries, message)  # the state that forgets the application comes after
    if state != before and state is not None:
        person_index[worker] = dumps(state.model_dump(mode="json"))
    metrics.observe_outputs((a.event for a in actions if isinstance(a, Say)), latency_s=None)


def _misplaced(event: Event, worker: str, on_claims: bool) -> JaringError | None:
    """Why a record is not where it belongs: an application on the claims, a release on ``persons.v1``,
    each keyed by its person's pseudonym."""
    if on_claims and isinstance(event, ApplicationSubmitted):
        named = pseudonym(event.nik, _pseudonym_key)
    elif not on_claims and isinstance(event, PersonReleased):
        named = event.worker
    else:
        return JaringError(WRONG_TOPIC, f"{event.type} does not belong on this topic")
    return None if named == worker else JaringError(WRONG_KEY, "the key is not its person's pseudonym")


def _worker(key: bytes | None) -> str:
    if key is None or _PSEUDONYM.fullmatch(key) is None:
        raise JaringError(WRONG_KEY, "a person record is keyed by the worker's pseudonym")
    return key.decode()


def _load(value: bytes | None) -> Person | None:
    return None if value is None else Person.model_validate(loads(value), strict=False)


async def _act(actions: list[Action], raw: bytes, message: Any) -> list[asyncio.Future[Any]]:
    """Send each action where it goes; a send the broker refuses stops the worker before the commit."""
    producer = app.producer
    deliveries: list[asyncio.Future[Any]] = []
    for action in actions:
        if isinstance(action, Forward):
            value = raw if action.unchanged else encode(action.application)
            stamp = message.timestamp if action.unchanged else action.timestamp
            deliveries.append(cast(asyncio.Future[Any], await producer.send(
                _region_log, action.application.regency.encode(), value, partition=None, timestamp=stamp,
                headers=None)))
        elif isinstance(action, AskRelease):
            deliveries.append(cast(asyncio.Future[Any], await producer.send(
                _region_log, action.event.region.encode(), encode(action.event), partition=None,
                timestamp=message.timestamp, headers=None)))
        elif isinstance(action, Say):
            deliveries.extend(await send([action.event]))
    for delivery in deliveries:
        delivery.add_done_callback(partial(_sent, message))
    return deliveries


async def _delivered(deliveries: list[asyncio.Future[Any]], message: Any) -> None:
    """Wait until the broker has every record a move's answer caused (rare: once per move)."""
    try:
        await asyncio.gather(*deliveries)
    except Exception as failure:
        fail_stop(EXIT_BATCH_UNFINISHED, f"person_index_unwritten: {_at(message)}: {failure!r}")


def _sent(message: Any, delivery: asyncio.Future[Any]) -> None:
    if not delivery.cancelled() and delivery.exception() is not None:
        fail_stop(EXIT_BATCH_UNFINISHED, f"person_index_unwritten: {_at(message)}: {delivery.exception()!r}")


async def _dead_letter(message: Any, raw: bytes | None, error: JaringError) -> None:
    try:
        await reject("persons", message, raw, error)
    except Exception as failure:
        fail_stop(EXIT_BATCH_UNFINISHED, f"deadletter_unwritten: {_at(message)} ({error.code}): {failure!r}")


def _at(message: Any) -> str:
    return f"{message.topic}[{message.partition}]@{message.offset}"
