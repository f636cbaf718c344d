"""End-to-end probe: proves a worker consumes, keeps state and produces.

An operator (or ``jaring demo``, or a readiness check) sends a probe with a
source name and a sequence number; the worker counts probes per source in a
changelog-backed table and answers on the ack topic with the running count.
A count that carries on across a worker restart shows the table recovered
from its changelog, not from memory.

Processing is at-least-once, so a crash between the table write and the
offset commit replays probes: state keeps the last sequence seen per source
and a replayed probe is answered again with the count it already had, the
same idempotence-by-id that the matching pipeline relies on.
"""

from __future__ import annotations

from typing import Any

import faust

from streams.engine import app, metrics, settings
from streams.topics import declare

__all__ = ["Probe", "ProbeAck", "acks_topic", "probe_agent", "probe_counts", "probes_topic"]


class Probe(faust.Record, serializer="json"):
    source: str
    seq: int


class ProbeAck(faust.Record, serializer="json"):
    source: str
    seq: int
    count: int


probes_topic = declare("probe.v1", value_type=Probe)
acks_topic = declare("probe-ack.v1", value_type=ProbeAck)
# source -> [last sequence seen, probes counted]
probe_counts = app.Table("probe-counts", default=lambda: [-1, 0], partitions=settings.topic_partitions)


@app.agent(probes_topic, concurrency=1)
async def probe_agent(stream: Any) -> None:
    async for key, probe in stream.items():
        last_seq, count = probe_counts[probe.source]
        if probe.seq > last_seq:
            count += 1
            probe_counts[probe.source] = [probe.seq, count]
        await acks_topic.send(key=key, value=ProbeAck(source=probe.source, seq=probe.seq, count=count))
        metrics.events.labels("probe").inc()
