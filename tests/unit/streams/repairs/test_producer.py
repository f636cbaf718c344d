"""The worker's producer is idempotent with acks=all outside transactions, and its flush means flushed.

Faust's buffer flush gives up once no message left it for 0.1 s, so before an
offset commit a table write can still be in Faust's hands; the commit would
then pass an event whose state was never sent. No broker here: the buffer
and the flush are Faust's, the send is a channel that stalls until released.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from faust.transport.drivers.aiokafka import Producer as FaustProducer
from faust.types.tuples import FutureMessage, PendingMessage

from infra.settings import Settings
from streams.app import create_app
from streams.repairs.producer import DurableProducer


class StalledChannel:
    """Faust's buffer hands each message to its channel; this one sends when ``release`` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.handed: list[FutureMessage] = []
        self.error: BaseException | None = None

    async def publish_message(self, fut: FutureMessage, wait: bool = False) -> Any:
        self.handed.append(fut)
        await self.release.wait()
        if self.error is not None:
            fut.set_exception(self.error)
        else:
            fut.set_result(object())  # Faust would set the broker's RecordMetadata
        return fut


def buffered(channel: StalledChannel) -> FutureMessage:
    message = PendingMessage(
        channel, b"74.71", b"{}", 0, None, None, None, None, None, topic="t.region-state"  # type: ignore[arg-type]
    )
    return FutureMessage(message)


@pytest.fixture
async def producer() -> AsyncIterator[DurableProducer]:
    app = create_app(Settings(kafka_bootstrap="127.0.0.1:1"))
    durable = app.producer
    assert isinstance(durable, DurableProducer)
    await durable.buffer.start()  # Faust's buffer service, which hands messages to their channel
    try:
        yield durable
    finally:
        await durable.buffer.stop()


async def handed_over(channel: StalledChannel, count: int) -> None:
    async with asyncio.timeout(5):
        while len(channel.handed) < count:
            await asyncio.sleep(0.01)


async def test_flush_waits_for_a_table_write_faust_s_own_flush_returns_without(
    producer: DurableProducer,
) -> None:
    channel = StalledChannel()
    write = buffered(channel)
    producer.send_soon(write)
    await handed_over(channel, 1)  # out of the buffer, not yet sent

    await FaustProducer.flush(producer)  # Faust's own flush returns with the write unsent
    assert not write.done()
    flushing = asyncio.ensure_future(producer.flush())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not flushing.done()

    channel.release.set()
    await asyncio.wait_for(flushing, 5)
    assert write.done()


async def test_a_write_the_broker_refused_makes_flush_raise_so_the_commit_is_skipped(
    producer: DurableProducer,
) -> None:
    channel = StalledChannel()
    channel.error = RuntimeError("NotEnoughReplicas")
    producer.send_soon(buffered(channel))
    await handed_over(channel, 1)

    channel.release.set()
    with pytest.raises(RuntimeError, match="NotEnoughReplicas"):
        await asyncio.wait_for(producer.flush(), 5)


async def test_flush_waits_for_what_was_sent_before_it_not_after(producer: DurableProducer) -> None:
    first, later = StalledChannel(), StalledChannel()
    producer.send_soon(buffered(first))
    await handed_over(first, 1)
    flushing = asyncio.ensure_future(producer.flush())
    for _ in range(5):
        await asyncio.sleep(0)
    producer.send_soon(buffered(later))  # queued after the flush began: the next commit's business

    first.release.set()
    await asyncio.wait_for(flushing, 5)
    later.release.set()


async def test_the_aiokafka_producer_is_idempotent_and_waits_for_every_replica() -> None:
    app = create_app(Settings(kafka_bootstrap="127.0.0.1:1"))
    assert not app.in_transaction  # at_least_once: Faust itself would turn neither on
    client = app.producer._new_producer()
    try:
        assert client._txn_manager is not None  # what enable_idempotence=True builds
        assert client._sender._acks == -1
    finally:
        await client.stop()  # never started: closes nothing but its client object
