"""A record's delivery costs no task unless it waits, and a waiting one behaves as in Faust."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

from streams.repairs.consumer import _ActiveOnlyConsumer
from streams.repairs.delivery import Delivered, Suspended, first_step

where = contextvars.ContextVar("where", default="outside")


async def _returns(value: str) -> str:
    where.set("inside")
    return value


async def _waits_for(gate: asyncio.Future[str], seen: list[str]) -> str:
    where.set("inside")
    try:
        value = await gate
    except asyncio.CancelledError:
        seen.append("cancelled")
        raise
    seen.append(where.get())  # the same context after the suspension
    if value == "boom":
        raise RuntimeError(value)
    return value


async def test_a_delivery_that_does_not_wait_finishes_in_place_in_its_own_context() -> None:
    step = first_step(asyncio.get_running_loop(), _returns("queued"))
    assert isinstance(step, Delivered)
    assert step.value == "queued"
    assert where.get() == "outside"  # as in a task: the caller's context is untouched


def _suspended(seen: list[str]) -> tuple[asyncio.Future[str], Suspended]:
    """A delivery waiting on the returned gate, past its first step."""
    gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    step = first_step(asyncio.get_running_loop(), _waits_for(gate, seen))
    assert isinstance(step, Suspended)
    return gate, step


async def test_a_delivery_that_waits_goes_on_as_a_task_with_its_context() -> None:
    seen: list[str] = []
    gate, step = _suspended(seen)
    await asyncio.sleep(0)
    assert not step.task.done()
    gate.set_result("queued")
    assert await step.task == "queued"
    assert seen == ["inside"]
    assert where.get() == "outside"


async def test_errors_reach_the_caller_before_and_after_a_suspension() -> None:
    async def fails() -> None:
        raise ValueError("undecodable")

    with pytest.raises(ValueError, match="undecodable"):
        first_step(asyncio.get_running_loop(), fails())
    gate, step = _suspended([])
    gate.set_result("boom")
    with pytest.raises(RuntimeError, match="boom"):
        await step.task


async def test_cancelling_a_suspended_delivery_cancels_the_coroutine_itself() -> None:
    seen: list[str] = []
    _, step = _suspended(seen)
    await asyncio.sleep(0)
    step.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await step.task
    assert seen == ["cancelled"]


def _consumer() -> Any:
    """The consumer's ``wait_first`` needs only its flags and loop; Faust's service is not started."""
    consumer = object.__new__(_ActiveOnlyConsumer)
    consumer.__dict__.update(
        suspend_flow=asyncio.Event(), _stopped=asyncio.Event(), _crashed=asyncio.Event(),
    )
    consumer.__dict__["_loop"] = asyncio.get_running_loop()
    return consumer


class _CountingTasks:
    def __init__(self) -> None:
        self.created = 0
        loop = asyncio.get_running_loop()
        self._previous = loop.get_task_factory()
        loop.set_task_factory(self._factory)

    def _factory(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        self.created += 1
        return asyncio.Task(coro, loop=loop, **kwargs)

    def close(self) -> None:
        asyncio.get_running_loop().set_task_factory(self._previous)


async def test_the_consumer_delivers_without_tasks_and_a_rebalance_cuts_a_waiting_delivery_short() -> None:
    consumer = _consumer()
    tasks = _CountingTasks()
    try:
        result = await consumer.wait_first(_returns("queued"), consumer.suspend_flow.wait())
        assert (result.done, result.results, result.stopped) == ([result.done[0]], ["queued"], False)
        assert tasks.created == 0

        gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        seen: list[str] = []
        waiting = asyncio.ensure_future(
            consumer.wait_first(_waits_for(gate, seen), consumer.suspend_flow.wait())
        )
        await asyncio.sleep(0.01)
        assert not waiting.done() and tasks.created > 1
        consumer.suspend_flow.set()  # Faust's rebalance: the blocked delivery is abandoned
        await asyncio.wait_for(waiting, 1)
        await asyncio.sleep(0)
        assert seen == ["cancelled"]

        before = tasks.created  # with the flow suspended, Faust's own path is taken
        gate2: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        gate2.set_result("late")
        result = await consumer.wait_first(_waits_for(gate2, []), consumer.suspend_flow.wait())
        assert tasks.created > before
    finally:
        tasks.close()
