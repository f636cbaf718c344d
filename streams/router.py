"""The router: decodes every input once, dead-letters what it cannot read, sequences the rest.

Applications, pledges and ticks arrive on three topics whose relative order
Kafka does not define. Matching must see one order per region, the same on
every replay, or a replay after a crash could pair a pledge with a different
worker than the first attempt did. The router appends each valid input to
the region log, keyed by the region the event itself names (an application
first passes the person index, ``streams.persons``, keyed by its NIK's
pseudonym: one person is one worker across regions); the matcher
reads only that log, so "same input log, same output" holds for the log it
reads. An input must arrive keyed by that same region (``wrong_key``
otherwise): Kafka orders a partition alone, and a record keyed otherwise
would meet its region's others in an order nobody chose.

Every record ends as a region-log record or a dead letter, whatever its
bytes: a NULL value (Faust hands it over as ``None``), an empty, binary or
huge one, a wrong or missing key. When the broker takes neither (a topic's
``max.message.bytes``, an ACL, brokers down past the delivery timeout), the
worker stops with status 71 before its offset can be committed past the
record, and a restart reads it again. (Left to Faust, the error would
restart the agent and the group's offset would pass a record that went
nowhere.)
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any, cast

from models.codec import RECORD_TOO_LARGE, decode_input, fits
from models.errors import JaringError
from models.events import ApplicationSubmitted, Input, region_of
from models.nik import pseudonym
from models.persons import CARRIED_FROM_OUTSIDE
from models.topics import INPUTS, PERSON_CLAIMS, inputs_on
from streams import catalogue
from streams.engine import app, metrics, settings
from streams.matching import EXIT_BATCH_UNFINISHED, fail_stop
from streams.outputs import reject

__all__ = ["route"]

_EXPECTED: dict[str, tuple[type[Input], ...]] = {catalogue.full_name(t.name): inputs_on(t) for t in INPUTS}
"""Which input types each input topic may hold (``models.topics``); any other is dead-lettered."""


inputs = app.topic(
    *(t.get_topic_name() for t in catalogue.INPUT_TOPICS),
    key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
)


region_log = catalogue.region_log.get_topic_name()
person_claims = catalogue.full_name(PERSON_CLAIMS.name)
_pseudonym_key = settings.pseudonym_key.get_secret_value().encode()


@app.agent(inputs, concurrency=1)
async def route(stream: Any) -> None:
    producer = app.producer  # straight to it, as streams.outputs.send does
    async for event in stream.events():
        message, raw = event.message, event.value
        metrics.inputs.labels(message.topic).inc()
        try:
            decoded = _readable(raw, event.key, message.topic)
        except JaringError as error:
            await _dead_letter(message, raw, error)
            continue
        # The input's own timestamp travels on: match latency is measured from it.
        if isinstance(decoded, ApplicationSubmitted):  # to the person index first, by the person's key
            topic, key = person_claims, pseudonym(decoded.nik, _pseudonym_key).encode()
        else:
            topic, key = region_log, region_of(decoded).encode()
        try:
            delivery = await producer.send(
                topic, key, raw, partition=None, timestamp=message.timestamp, headers=None
            )
        except Exception as failure:
            fail_stop(EXIT_BATCH_UNFINISHED, f"region_log_unwritten: {_at(message)}: {failure!r}")
        cast(asyncio.Future[Any], delivery).add_done_callback(partial(_copied, message))


def _readable(raw: bytes | None, key: bytes | None, topic: str) -> Input:
    """The input a record holds, or the ``JaringError`` its dead letter names."""
    if raw is not None and not fits(len(raw), settings.max_message_bytes):
        raise JaringError(
            RECORD_TOO_LARGE,
            f"the record is {len(raw)} bytes, too large for its copy on the region log "
            f"(JARING_MAX_MESSAGE_BYTES={settings.max_message_bytes}); an event is a few hundred "
            "bytes: send it without large extra fields",
        )
    decoded = decode_input(raw, key, _EXPECTED[topic], topic)
    if isinstance(decoded, ApplicationSubmitted) and decoded.carried is not None:
        raise JaringError(CARRIED_FROM_OUTSIDE, "carried is set by the engine alone, when a person moves "
                                                "between regions; send the application without it")
    return decoded


async def _dead_letter(message: Any, raw: bytes | None, error: JaringError) -> None:
    """Dead-letter the record, or stop the worker: a record is never skipped."""
    try:
        await reject("router", message, raw, error)
    except Exception as failure:
        fail_stop(
            EXIT_BATCH_UNFINISHED,
            f"deadletter_unwritten: {_at(message)} ({error.code}) could not be dead-lettered: "
            f"{failure!r}; check the dead-letter topic's max.message.bytes against "
            "JARING_MAX_MESSAGE_BYTES, its ACLs and the brokers",
        )


def _copied(message: Any, delivery: asyncio.Future[Any]) -> None:
    # The input may be acknowledged already (the agent took the next one),
    # and the next commit would pass it: stop before that commit runs.
    if not delivery.cancelled() and delivery.exception() is not None:
        fail_stop(EXIT_BATCH_UNFINISHED, f"region_log_unwritten: {_at(message)}: {delivery.exception()!r}; "
                                         "check the region log's max.message.bytes, its ACLs and the brokers")


def _at(message: Any) -> str:
    return f"{message.topic}[{message.partition}]@{message.offset}"
