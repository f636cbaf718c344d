"""Feeds the read model from the topics: the shared replay reader (``infra.replay``) folding into it.

Every API process reads everything from the beginning and keeps its own read
model (no consumer group, nothing committed); ``caught_up`` is what
``/readyz`` reports as ``ledger_caught_up``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Protocol

from infra.replay import ReplayReader
from infra.settings import Settings
from models.events import Event

__all__ = ["LedgerFeed"]


class Fold(Protocol):
    def apply(self, event: Event) -> object: ...


class LedgerFeed:
    def __init__(
        self, settings: Settings, topics: list[str], model: Fold,
        also: Callable[[Event], object] | None = None, client_id: str = "jaring-api-feed",
    ) -> None:
        """``also``: a second fold fed every event after ``model`` (the officer's desk)."""

        def fold(_topic: str, event: Event) -> None:
            model.apply(event)
            if also is not None:
                also(event)

        self.reader = ReplayReader(settings, topics, fold, client_id=client_id)
        self._task: asyncio.Task[None] | None = None

    @property
    def caught_up(self) -> bool:
        """True once every partition was read to the end offset seen at start."""
        return self.reader.caught_up.is_set()

    def start(self, after: asyncio.Event) -> None:
        """Start reading once ``after`` is set (the topics exist)."""
        self._task = asyncio.get_running_loop().create_task(self._run(after))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self, after: asyncio.Event) -> None:
        await after.wait()
        await self.reader.run()
