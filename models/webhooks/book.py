"""What the two webhook topics say, folded: each sponsor's endpoint, open replay requests, its delivery log.

One fold for both readers: the delivery process (which endpoint to call,
which replays to carry out, which deliveries are parked) and the API (what
``GET /v1/webhook`` and ``/v1/webhook/deliveries`` answer). Bounded: the last
``keep_attempts`` attempts and ``keep_parked`` parked deliveries per sponsor
(older parked ones stay replayable by time range); replay requests are few.
"""

from __future__ import annotations

from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime

from models.events import (
    Event,
    WebhookAttempted,
    WebhookRegistered,
    WebhookRemoved,
    WebhookReplayed,
    WebhookReplayRequested,
)

__all__ = ["Endpoint", "WebhookBook"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    sponsor_id: str
    url: str
    nonce: str
    registered_at: datetime
    """From this moment on, the sponsor hears of its events (earlier ones by a replay)."""


@dataclass
class WebhookBook:
    keep_attempts: int = 200
    keep_parked: int = 10_000
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    requests: dict[str, WebhookReplayRequested] = field(default_factory=dict)
    """Replay requests not yet carried out, by request id, in the order they were made."""
    done: set[str] = field(default_factory=set)
    attempts: dict[str, deque[WebhookAttempted]] = field(default_factory=dict)
    parked: dict[str, OrderedDict[str, WebhookAttempted]] = field(default_factory=dict)
    """Per sponsor, the deliveries whose last attempt parked them, by delivered event id."""
    outcomes: dict[str, Counter[str]] = field(default_factory=dict)

    def apply(self, event: Event) -> None:
        if isinstance(event, WebhookRegistered):
            self.endpoints[event.sponsor_id] = Endpoint(
                event.sponsor_id, event.url, event.nonce, event.event_time
            )
        elif isinstance(event, WebhookRemoved):
            self.endpoints.pop(event.sponsor_id, None)
        elif isinstance(event, WebhookReplayRequested):
            if event.event_id not in self.done:
                self.requests.setdefault(event.event_id, event)
        elif isinstance(event, WebhookReplayed):
            self.done.add(event.request_id)
            self.requests.pop(event.request_id, None)
        elif isinstance(event, WebhookAttempted):
            self._attempted(event)

    def _attempted(self, a: WebhookAttempted) -> None:
        log = self.attempts.setdefault(a.sponsor_id, deque(maxlen=self.keep_attempts))
        log.append(a)
        self.outcomes.setdefault(a.sponsor_id, Counter())[a.outcome] += 1
        parked = self.parked.setdefault(a.sponsor_id, OrderedDict())
        if a.outcome == "parked" and a.body is not None:
            parked.pop(a.delivered_event_id, None)
            parked[a.delivered_event_id] = a
            while len(parked) > self.keep_parked:
                parked.popitem(last=False)
        elif a.outcome == "delivered":
            parked.pop(a.delivered_event_id, None)

    def open_requests(self) -> list[WebhookReplayRequested]:
        return list(self.requests.values())

    def parked_of(self, sponsor_id: str) -> list[WebhookAttempted]:
        return list(self.parked.get(sponsor_id, {}).values())

    def recent(self, sponsor_id: str, limit: int) -> list[WebhookAttempted]:
        """The sponsor's latest attempts, newest first."""
        log = self.attempts.get(sponsor_id, ())
        return list(reversed(list(log)[-limit:])) if limit > 0 else []
