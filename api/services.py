"""What a request handler needs, built once per process by ``api.app.create_app``.

Handlers reach it through ``request.app.state.services``; tests build the
same object with their own clock, key file and registry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from api.desk_model import DeskModel
from api.feed import LedgerFeed
from api.idempotency import IdempotencyStore
from api.keys import KeyFile
from api.metrics import ApiMetrics
from api.publisher import Publisher
from api.ratelimit import RateLimiter
from api.read_model import ReadModel
from infra.settings import Settings
from models.eligibility import KENDARI, CityPolicy
from models.webhooks.book import WebhookBook

__all__ = ["Services", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    keys: KeyFile
    publisher: Publisher
    feed: LedgerFeed
    readmodel: ReadModel
    idempotency: IdempotencyStore
    limiter: RateLimiter
    """Per API key."""
    anonymous_limiter: RateLimiter
    """Per client address, for requests to /v1 without a valid key (``api.auth``)."""
    metrics: ApiMetrics
    now: Callable[[], datetime] = utc_now
    monotonic: Callable[[], float] = field(default=time.monotonic)
    policy: CityPolicy = KENDARI
    """The city's rules, as the engine reads them (``Settings.city_policy``): the pledge bounds."""
    webhooks: WebhookBook = field(default_factory=WebhookBook)
    """Sponsors' endpoints and delivery logs (``api.webhooks``), fed by ``webhook_feed``."""
    webhook_feed: LedgerFeed | None = None
    desk: DeskModel = field(default_factory=lambda: DeskModel(b""))
    """The officer's desk (``api.desk_model``), fed by ``feed`` with the read model."""
