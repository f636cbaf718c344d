"""Delivering events to sponsors' endpoints: one ordered lane per sponsor, retried, logged, never lost.

Each sponsor has a lane: its events are sent one at a time, in the order
read, so a receiver sees a pledge accepted before it is exhausted. A failed
attempt (no answer within ``JARING_WEBHOOK_TIMEOUT_S``, a refused
connection, any status but 2xx) is tried again after an exponential backoff
(``webhooks.rules.RetryPolicy``) and, past ``JARING_WEBHOOK_RETRY_FOR_S``
from the first attempt, parked: the delivery log keeps its exact body, and a
replay sends it again. A slow or dead endpoint holds back its own lane only.

Every attempt is a ``webhook.attempted`` record on the delivery log. The
consumer group's offset passes a record only once its delivery is finished
(delivered or parked), so a process killed mid-retry delivers it again after
a restart: delivery is at least once, and receivers drop repeats by the
``Jaring-Event-Id`` header (the event's own id, the same on every attempt).
A lane holds at most ``JARING_WEBHOOK_LANE_MAX`` waiting events; beyond it an
event is parked at once (``lane_full``) rather than held in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp

from models.events import DeliveryOutcome, Event, WebhookAttempted
from models.webhooks.book import Endpoint, WebhookBook
from models.webhooks.rules import CommitTracker, RetryPolicy
from models.webhooks.signing import HEADER, secret_for, sign

__all__ = ["Deliverer", "Delivery"]

log = logging.getLogger("jaring.webhooks")

Record = Callable[[Event], Awaitable[None]]
"""Writes a delivery-log event (and waits for the broker to hold it)."""

RECENT_IDS = 100_000
"""Event ids recently handed to a lane: an engine output repeated after a crash is not sent twice."""


@dataclass(frozen=True, slots=True)
class Delivery:
    sponsor_id: str
    event_id: str
    event_type: str
    body: bytes
    source: tuple[str, int, int] | None = None
    """(topic, partition, offset) of the record, for the commit; None for a replay."""
    replay_of: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Deliverer:
    def __init__(
        self,
        book: WebhookBook,
        session: aiohttp.ClientSession,
        record: Record,
        key: bytes,
        *,
        retry: RetryPolicy,
        lane_max: int,
        on_attempt: Callable[[WebhookAttempted, float], None] = lambda _a, _s: None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.book = book
        self.tracker = CommitTracker()
        self._session = session
        self._record = record
        self._key = key
        self._retry = retry
        self._lane_max = lane_max
        self._on_attempt = on_attempt
        self._wall = wall
        self._lanes: dict[str, asyncio.Queue[Delivery]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._wake: dict[str, asyncio.Event] = {}

    # ------------------------------------------------------------------ intake

    def first_time(self, sponsor_id: str, event_id: str) -> bool:
        """False for an event id handed to this sponsor's lane recently (a repeated engine output)."""
        key = f"{sponsor_id}\x00{event_id}"
        if key in self._recent:
            return False
        self._recent[key] = None
        if len(self._recent) > RECENT_IDS:
            self._recent.popitem(last=False)
        return True

    async def offer(self, d: Delivery) -> None:
        """Queue on the sponsor's lane; a full lane parks the delivery at once (logged, replayable)."""
        if d.source is not None:
            self.tracker.add((d.source[0], d.source[1]), d.source[2])
        lane = self._lanes.get(d.sponsor_id)
        if lane is None:
            lane = self._lanes[d.sponsor_id] = asyncio.Queue(maxsize=self._lane_max)
            self._wake[d.sponsor_id] = asyncio.Event()
            self._tasks[d.sponsor_id] = asyncio.create_task(self._run_lane(d.sponsor_id, lane))
        try:
            lane.put_nowait(d)
        except asyncio.QueueFull:
            await self._log(d, 1, Outcome(None, "lane_full"), "parked", None, 0.0)
            self._finish(d)

    def endpoint_changed(self, sponsor_id: str) -> None:
        """A new registration (or a removal): a lane waiting out a backoff tries again at once."""
        wake = self._wake.get(sponsor_id)
        if wake is not None:
            wake.set()

    def waiting(self) -> int:
        return sum(q.qsize() for q in self._lanes.values())

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # ------------------------------------------------------------------ a lane

    async def _run_lane(self, sponsor_id: str, lane: asyncio.Queue[Delivery]) -> None:
        while True:
            d = await lane.get()
            try:
                await self._deliver(d)
            finally:
                lane.task_done()

    async def _deliver(self, d: Delivery) -> None:
        first_at = self._wall()
        attempt = 1
        while True:
            endpoint = self.book.endpoints.get(d.sponsor_id)
            started = time.monotonic()
            if endpoint is None:
                outcome = Outcome(None, "no_endpoint")
            else:
                outcome = await self._post(endpoint, d, attempt)
            seconds = time.monotonic() - started
            if outcome.ok:
                await self._log(d, attempt, outcome, "delivered", None, seconds)
                break
            again = None if endpoint is None else self._retry.next_attempt(attempt, first_at, self._wall())
            if again is None:
                await self._log(d, attempt, outcome, "parked", None, seconds)
                break
            await self._log(d, attempt, outcome, "retrying", again, seconds)
            await self._backoff(d.sponsor_id, again - self._wall())
            attempt += 1
        self._finish(d)

    async def _backoff(self, sponsor_id: str, seconds: float) -> None:
        wake = self._wake[sponsor_id]
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=max(seconds, 0.0))

    async def _post(self, endpoint: Endpoint, d: Delivery, attempt: int) -> Outcome:
        secret = secret_for(self._key, endpoint.sponsor_id, endpoint.nonce)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Jaring-Webhooks/1",
            HEADER: sign(secret, int(self._wall()), d.body),
            "Jaring-Event-Id": d.event_id,
            "Jaring-Event-Type": d.event_type,
            "Jaring-Delivery-Attempt": str(attempt),
        }
        if d.replay_of is not None:
            headers["Jaring-Replay"] = d.replay_of
        try:
            post = self._session.post(endpoint.url, data=d.body, headers=headers, allow_redirects=False)
            async with post as r:
                await r.read()
                return Outcome(r.status, None if 200 <= r.status < 300 else "http_status")
        except TimeoutError:
            return Outcome(None, "timeout")
        except aiohttp.ClientConnectorError as exc:
            refused = "address_refused" in str(exc.os_error)
            return Outcome(None, "address_refused" if refused else "connection_failed")
        except (aiohttp.ClientError, OSError):
            return Outcome(None, "connection_failed")

    def _finish(self, d: Delivery) -> None:
        if d.source is not None:
            self.tracker.done((d.source[0], d.source[1]), d.source[2])

    async def _log(
        self, d: Delivery, attempt: int, outcome: Outcome, result: DeliveryOutcome, again: float | None,
        seconds: float,
    ) -> None:
        now = datetime.fromtimestamp(self._wall(), UTC)
        suffix = "" if d.replay_of is None else f":{d.replay_of}"
        event = WebhookAttempted(
            event_id=f"webhook.attempted:{d.sponsor_id}:{d.event_id}:{attempt}{suffix}"[:256],
            event_time=now,
            sponsor_id=d.sponsor_id,
            delivered_event_id=d.event_id,
            delivered_type=d.event_type,
            attempt=attempt,
            outcome=result,
            status_code=outcome.status,
            error=outcome.error,
            next_attempt_at=None if again is None else datetime.fromtimestamp(again, UTC),
            replay_of=d.replay_of,
            body=d.body.decode() if result == "parked" else None,
        )
        self._on_attempt(event, seconds)
        if result != "delivered":
            log.info("webhook %s for sponsor %s: attempt %d %s (%s)", d.event_type, d.sponsor_id, attempt,
                     result, outcome.error if outcome.status is None else outcome.status)
        await self._record(event)
