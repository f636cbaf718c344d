"""Abandon an aiokafka producer: what it still holds is dropped, never sent, and it closes.

aiokafka 0.14 has no public abort. ``AIOKafkaProducer.stop()`` flushes first,
and with the broker away an idempotent producer retries a queued batch for
ever (it expires batches only while a partition has no known leader, and
never with idempotence on), so ``stop()`` does not return (aiokafka #1101,
#1013); cancelled, it leaves the sender task running, which delivers the
batch once the broker is back. The sponsor API answers 503 when the broker
does not acknowledge a record in time, and a sponsor told 503 who does not
retry must not find the pledge made anyway. So the sender task is cancelled
first and every queued batch failed; ``stop()`` then has nothing to flush.

No public way gets there: a producer per request still flushes on ``stop()``,
and a transactional producer (abort instead of drop) would serialise every
request into a transaction and needs the workers to read ``read_committed``.

This module imports aiokafka only: the API imports it (the one exception in
its import contract, ``pyproject.toml``) and must not build a Faust app.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer

__all__ = ["abort"]


async def abort(producer: AIOKafkaProducer, error: BaseException) -> None:
    """Stop ``producer`` sending and fail every batch it still holds with ``error``.

    Then ``stop()`` closes it at once: nothing is left to flush. A request
    already in flight finishes or times out first (the sender waits for it):
    the broker may have that record, which is why a 503 may hide one.
    """
    sender = producer._sender.sender_task
    if sender is not None and not sender.done():
        sender.cancel()  # nothing queued is sent from here on
        await asyncio.wait([sender])  # its end, even if it never ran; a cancellation of ours propagates
    producer._message_accumulator.fail_all(error)  # each waiting delivery fails with ``error``
