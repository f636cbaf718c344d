"""Records sent a batch per partition land where ``send`` would put them, in the order given."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer

from infra.settings import Settings
from infra.topic_admin import TopicSpec, ensure_topics
from infra.topic_io import read_until
from streams.repairs.producer import key_partition, send_batched

pytestmark = [pytest.mark.kafka]


async def test_batched_records_land_in_their_keys_partitions_in_order_across_full_batches(
    settings: Settings,
) -> None:
    topic = settings.topic("batched-send")
    await ensure_topics(settings, [TopicSpec.configured(settings, topic)])
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        keys = [f"74.{n:02d}".encode() for n in range(1, 13)]
        records = [(topic, keys[n % len(keys)], f"{n:05d}".encode() + b"x" * 400) for n in range(600)]
        deliveries = await send_batched(producer, records, lambda t, k: key_partition(producer, t, k))
        await asyncio.gather(*deliveries)
        # 50 records of about 450 bytes per key: more than one 16 KiB batch per partition.
        assert len(deliveries) > settings.topic_partitions
        sent_partitions = {}
        for key in keys:  # where aiokafka's own send puts each key
            sent_partitions[key] = (await producer.send_and_wait(topic, b"probe", key=key)).partition
    finally:
        await producer.stop()

    landed = await read_until(settings, [topic], lambda rs: len(rs) >= len(records) + len(keys))
    for key in keys:
        mine = [r for r in landed if r.key == key and r.value != b"probe"]
        assert {r.partition for r in mine} == {sent_partitions[key]}
        in_order = [r.value for r in sorted(mine, key=lambda r: r.offset)]
        assert in_order == [value for _, k, value in records if k == key]
    assert len({sent_partitions[k] for k in keys}) > 1  # the keys spread: the check above can tell
