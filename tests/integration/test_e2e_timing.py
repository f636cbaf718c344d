"""``benchmarks/e2e.py`` times (b), (b2) and (c) one way: inputs over their outputs' broker-timestamp span.

Before, (b) was timed from before its consumer started (group join included)
while (c) was timed from its first to its last output, so "% of (b)"
compared spans measured differently. These drive the helpers on the
session's real broker: the rate comes from the records' own timestamps, and
each pipe reports the outputs that rate is taken over.
"""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaProducer

from benchmarks.e2e import bare_pipe, output_rate
from infra.settings import Settings
from infra.topic_admin import TopicSpec, ensure_topics
from infra.topic_io import read_until, send_all

pytestmark = pytest.mark.kafka


async def _topics(settings: Settings, *names: str) -> list[str]:
    full = [settings.topic(name) for name in names]
    await ensure_topics(settings, [TopicSpec.configured(settings, name) for name in full])
    return full


async def test_the_rate_is_the_inputs_over_the_outputs_broker_timestamps(settings: Settings) -> None:
    (topic,) = await _topics(settings, "rate-out")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:  # written now, stamped as if the outputs had spanned exactly four seconds, out of order
        for stamp in (1_700_000_002_000, 1_700_000_000_000, 1_700_000_004_000, 1_700_000_001_000):
            await producer.send_and_wait(topic, b"x", key=b"74.71", timestamp_ms=stamp)
    finally:
        await producer.stop()

    assert await output_rate(settings.kafka_bootstrap, [topic], inputs=10, outputs=4) == 2.5


async def test_outputs_that_share_one_millisecond_give_no_rate(settings: Settings) -> None:
    (topic,) = await _topics(settings, "rate-flat")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for _ in range(2):
            await producer.send_and_wait(topic, b"x", key=b"74.71", timestamp_ms=1_700_000_000_000)
    finally:
        await producer.stop()

    with pytest.raises(ValueError, match="output_rate"):
        await output_rate(settings.kafka_bootstrap, [topic], inputs=2, outputs=2)


@pytest.mark.slow
async def test_each_pipe_reports_the_outputs_its_rate_is_taken_over(settings: Settings) -> None:
    source, sink, log, outputs, state = await _topics(settings, "in", "out", "log", "outputs", "state")
    count = 25
    await send_all(settings, source, [(b"74.71", f"record {n}".encode()) for n in range(count)])

    made = await bare_pipe(settings.kafka_bootstrap, source, [sink], count)
    shaped = await bare_pipe(settings.kafka_bootstrap, source, [log, outputs, state], count, shaped=True)

    async def on(topic: str) -> int:
        return len(await read_until(settings, [topic], lambda _: True))

    assert made == count == await on(sink)
    assert shaped == count + (count + 1) // 2 == await on(outputs)  # 1.5 outputs per input
    assert await on(log) == await on(state) == count
