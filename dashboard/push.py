"""Pushing snapshots to open pages: at most one per interval, and only when the view changed.

A month tick makes thousands of events in a second; a page needs the state,
not each step. Every ``interval`` the hub checks the view's version and, if
it moved, encodes one snapshot per watched region and hands it to each
subscriber's one-slot mailbox, replacing anything unread, so a slow phone
gets the newest state instead of a backlog.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Gauge

from dashboard.read_model import CityView
from models.codec import dumps

__all__ = ["DEFAULT_REGION", "Hub", "snapshot_json"]

DEFAULT_REGION = ""
"""A subscription to "whichever region the view knows first": a page opened before any data."""


def snapshot_json(view: CityView, region: str) -> bytes:
    """The snapshot of ``region`` (or of the first known region, for ``DEFAULT_REGION``) as JSON."""
    if region == DEFAULT_REGION:
        known = view.regions()
        region = known[0] if known else DEFAULT_REGION
    return dumps(view.snapshot(region).model_dump(mode="json"))


class Hub:
    def __init__(self, view: CityView, interval: float = 0.5, pages: Gauge | None = None) -> None:
        self.view = view
        self.interval = interval
        self._pages = pages
        self._mailboxes: dict[str, set[asyncio.Queue[bytes]]] = {}

    @contextmanager
    def subscribe(self, region: str) -> Iterator[asyncio.Queue[bytes]]:
        """A mailbox receiving ``region``'s snapshots while the ``with`` block lasts."""
        mailbox: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1)
        self._mailboxes.setdefault(region, set()).add(mailbox)
        if self._pages is not None:
            self._pages.inc()
        try:
            yield mailbox
        finally:
            self._mailboxes[region].discard(mailbox)
            if self._pages is not None:
                self._pages.dec()

    async def run(self) -> None:
        """Push until cancelled."""
        pushed = self.view.version
        while True:
            await asyncio.sleep(self.interval)
            if self.view.version == pushed:
                continue
            pushed = self.view.version
            for region, mailboxes in self._mailboxes.items():
                if not mailboxes:
                    continue
                payload = snapshot_json(self.view, region)
                for mailbox in mailboxes:
                    if mailbox.full():
                        mailbox.get_nowait()
                    mailbox.put_nowait(payload)
