"""The router: decodes every input once, dead-letters what it cannot read, sequences the rest.

Applications, pledges and ticks arrive on three topics whose relative order
Kafka does not define. Matching must see one order per region, the same on
every replay, or a replay after a crash could pair a pledge with a different
worker than the first attempt did. The router appends each valid input to
the region log (keyed by the region the event itself names, whatever key
its producer used); the matcher reads only that log, so "same input log,
same output" holds for the log it reads.
"""

from __future__ import annotations

import logging
from typing import Any

from models.codec import decode
from models.errors import DecodeError, JaringError
from models.events import ApplicationSubmitted, Input, MonthTick, PledgeSubmitted, region_of
from streams import catalogue
from streams.app import app, metrics
from streams.outputs import reject

__all__ = ["route"]

log = logging.getLogger(__name__)

_EXPECTED: dict[str, type] = {
    catalogue.applications.get_topic_name(): ApplicationSubmitted,
    catalogue.pledges.get_topic_name(): PledgeSubmitted,
    catalogue.clock.get_topic_name(): MonthTick,
}


inputs = app.topic(
    *(t.get_topic_name() for t in catalogue.INPUT_TOPICS),
    key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
)


region_log = catalogue.region_log.get_topic_name()


@app.agent(inputs, concurrency=1)
async def route(stream: Any) -> None:
    producer = app.producer  # straight to it, as streams.outputs.send does
    async for event in stream.events():
        message, raw = event.message, event.value
        metrics.inputs.labels(message.topic).inc()
        try:
            decoded = decode(raw)
            if not isinstance(decoded, _EXPECTED[message.topic]) or not isinstance(decoded, Input):
                raise DecodeError(
                    "wrong_topic",
                    f"{decoded.type} does not belong on {message.topic}; send it to its own topic",
                )
        except JaringError as error:
            log.warning("dead-lettered %s[%s]@%s: %s", message.topic, message.partition,
                        message.offset, error.code)
            await reject("router", message, raw, error)
            continue
        # The input's own timestamp travels on: match latency is measured from it.
        region = region_of(decoded).encode()
        await producer.send(
            region_log, region, raw, partition=None, timestamp=message.timestamp, headers=None
        )
