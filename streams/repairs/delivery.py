"""Hand a fetched record to its streams without four asyncio tasks when nothing waits.

Faust's fetcher delivers every record through ``Service.wait_first(callback,
suspend_flow.wait())``: four tasks (the callback, the suspend flag, the
service's stopped and crashed flags) and an ``asyncio.wait`` per record, a
tenth of the worker's time under load (py-spy, ``benchmarks/worker_profile.py``).
Yet the callback almost never waits: it decodes the record and puts it on a
stream's queue, and Faust pauses a partition before its queue is full.

``first_step`` runs the callback's first step in place, in a copy of the
context as a task would. If the callback finishes there, that was the whole
delivery and nothing else had a chance to happen. If it suspends, it goes on
as a task and the caller waits for it exactly as Faust does, against the
suspend, stop and crash flags, so a rebalance still cuts a blocked delivery
short.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Generator
from typing import Any

__all__ = ["Delivered", "Suspended", "first_step"]


class Delivered:
    """The callback finished in its first step; ``value`` is what it returned."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class Suspended:
    """The callback suspended; ``task`` runs the rest of it."""

    __slots__ = ("task",)

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task


def first_step(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any]) -> Delivered | Suspended:
    """Run ``coro`` up to its first suspension; errors it raises there propagate."""
    context = contextvars.copy_context()
    try:
        yielded = context.run(coro.send, None)
    except StopIteration as done:
        return Delivered(done.value)
    return Suspended(loop.create_task(_finish(coro, yielded), context=context))


async def _finish(coro: Coroutine[Any, Any, Any], yielded: Any) -> Any:
    return await _Resumed(coro, yielded)


class _Resumed:
    """Await a coroutine that already yielded ``yielded`` once, as a task would go on with it."""

    __slots__ = ("_coro", "_yielded")

    def __init__(self, coro: Coroutine[Any, Any, Any], yielded: Any) -> None:
        self._coro = coro
        self._yielded = yielded

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, yielded = self._coro, self._yielded
        while True:
            try:
                sent = yield yielded
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # cancellation too: the coroutine decides
                try:
                    yielded = coro.throw(exc)
                except StopIteration as done:
                    return done.value
                continue
            try:
                yielded = coro.send(sent)
            except StopIteration as done:
                return done.value
