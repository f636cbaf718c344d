"""Follows the four output topics from the beginning and folds each record into the read model.

The shared replay reader (``infra.replay``) does the reading: no consumer
group and no committed offsets, so the view lives in memory and is rebuilt
from the topics at every start, every dashboard instance reads everything
and a restart loses nothing. ``ready`` is set once the records that existed
at start have been folded, so a fresh page never shows a half-rebuilt city;
before a worker has created the topics the city is empty, and an empty city
is fully rebuilt. A record that does not decode is counted
(``jaring_dashboard_unreadable``) and skipped: one bad record must not blind
the city.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from dashboard.metrics import DashboardMetrics
from dashboard.read_model import CityView
from infra.replay import ReplayReader
from infra.settings import Settings
from models.events import Event

__all__ = ["TOPICS", "Follower"]

TOPICS = ("application-status.v1", "coverage.v1", "pledge-status.v1", "funding.v1")
"""What the dashboard reads: the engine's outputs, without the dead letters (they may hold personal data)."""

log = logging.getLogger("jaring.dashboard")


class Follower:
    """One group-less reader feeding one ``CityView``."""

    def __init__(
        self,
        settings: Settings,
        view: CityView,
        metrics: DashboardMetrics | None = None,
        topics: Sequence[str] = TOPICS,
    ) -> None:
        """``topics`` are suffixes, without the namespace (``settings.topic`` adds it)."""
        self.settings = settings
        self.view = view
        self.metrics = metrics
        self.reader = ReplayReader(
            settings, [settings.topic(t) for t in topics], self._fold,
            client_id="jaring-dashboard", on_unreadable=self._unreadable,
        )
        self.ready = self.reader.caught_up

    @property
    def unreadable(self) -> int:
        return sum(self.reader.unreadable.values())

    async def run(self) -> None:
        """Read until cancelled; says so once the view is rebuilt."""
        announcing = asyncio.create_task(self._announce_ready())
        try:
            await self.reader.run()
        finally:
            announcing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await announcing

    async def _announce_ready(self) -> None:
        await self.ready.wait()
        if self.metrics is not None:
            self.metrics.ready.set(1)
        log.info("read model rebuilt: %d distinct events, %d unreadable", self.view.events, self.unreadable)

    def _fold(self, topic: str, event: Event) -> None:
        self.view.apply(event)
        if self.metrics is not None:
            self.metrics.events.labels(topic).inc()

    def _unreadable(self, _code: str) -> None:
        if self.metrics is not None:
            self.metrics.unreadable.inc()
