"""The composition root of the sponsor API: one function builds the app.

Everything the app holds is built here from ``Settings`` (or passed in by a
test): the key file, the producer, the read model and its feed, the
idempotency memory, the rate limiter, and a metrics registry that is never
the process-global one, so two apps in one test process do not collide.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from prometheus_client import CollectorRegistry

from api.auth import CallerGate
from api.bodies import with_pledge_bounds
from api.body_limit import BodyLimitMiddleware
from api.city_report import CityReports
from api.desk_model import DESK_FACTS, DeskModel
from api.desk_views import desk_reads
from api.feed import LedgerFeed
from api.idempotency import IdempotencyStore
from api.keys import KeyFile
from api.life_events import life_desk
from api.metrics import ApiMetrics, MetricsMiddleware
from api.payer_model import PAYER_FACTS
from api.payer_views import payer_reads
from api.payments import UPLOAD_PATHS, payer_desk
from api.payments import WRITES as PAYER_WRITES
from api.problems import PROBLEM_MEDIA_TYPE, InternalErrorMiddleware, install_handlers
from api.publisher import Publisher
from api.ratelimit import RateLimiter
from api.read_model import ReadModel
from api.report_views import report_reads
from api.routes import operations, probes
from api.services import Services, utc_now
from api.statement_views import statement_reads
from api.statements import StatementBooks
from api.webhooks import webhook_desk
from infra.settings import Settings
from models.events import (
    AccessRecorded,
    ApplicationSubmitted,
    LifeEventReported,
    PledgeSubmitted,
    WebhookAttempted,
    WebhookRegistered,
)
from models.pledge_book import PledgeFact
from models.topics import carrying

__all__ = ["DESCRIPTION", "READS", "WRITES", "create_app", "openapi_document"]

WRITES = carrying(
    PledgeSubmitted, ApplicationSubmitted, *PAYER_WRITES, AccessRecorded, LifeEventReported, WebhookRegistered
)
"""The topics the API produces to."""
WEBHOOK_READS = carrying(WebhookRegistered, WebhookAttempted)
"""Sponsors' endpoints and delivery logs, folded apart from the ledgers (``models.webhooks.book``)."""
READS = carrying(*get_args(PledgeFact), *PAYER_FACTS, *DESK_FACTS)
"""The topics its read models fold (``models.pledge_book``, ``api.payer_model``, ``api.desk_model``):
submissions, pledge status, funding, coverage, billing, and for the officer's desk (and the quotes'
waiting list) the applications and their answers.

The API may start before any worker has created the namespace's topics, and
brokers run with topic auto-creation off, so the publisher creates these and
``WRITES`` with the worker's spec (``infra.topic_admin``): whichever process
comes first, the topics come out the same."""

DESCRIPTION = """\
Sponsors pledge money for informal workers' BPJS Ketenagakerjaan premiums
(JKK + JKM, optionally JHT); city enrolment officers submit workers'
applications. Every POST answers only after the Kafka broker holds the
record (202), and needs an `Idempotency-Key` header: a retry with the same
key and body gets the same answer and makes no second record.

A pledge names **one regency** (`region`, e.g. `74.71`); a sponsor funding
several regencies submits one pledge per regency, because matching is
serial per regency and a pledge spent from two places could be spent twice.

Errors are `application/problem+json` (RFC 9457) with a stable `code` and a
`detail` sentence saying what to do.
"""


_QUIET = ("aiokafka.conn", "aiokafka.consumer.fetcher", "aiokafka.producer")
"""aiokafka logs requests and fetched record bytes at debug level; an application's bytes hold
a NIK and a name, which must never reach a log (UU 27/2022), so these stay at info or above."""


def create_app(
    settings: Settings,
    *,
    registry: CollectorRegistry | None = None,
    now: Callable[[], datetime] = utc_now,
    monotonic: Callable[[], float] | None = None,
) -> FastAPI:
    for name in _QUIET:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))
    policy = settings.city_policy()
    readmodel = ReadModel()
    desk = DeskModel(settings.pseudonym_key.get_secret_value().encode(), policy.priority)
    statements = StatementBooks()
    reports = CityReports()
    read_topics = [settings.topic(t.name) for t in READS]
    every_topic = dict.fromkeys((*WRITES, *READS, *WEBHOOK_READS))
    svc = Services(
        settings=settings,
        keys=KeyFile(Path(settings.api_keys_file)),
        publisher=Publisher(settings, [settings.topic(t.name) for t in every_topic]),
        feed=LedgerFeed(
            settings, read_topics, readmodel,
            also=lambda e: (desk.apply(e), statements.apply(e), reports.apply(e)),
        ),
        readmodel=readmodel,
        idempotency=IdempotencyStore(ttl_s=settings.api_idempotency_ttl_s),
        limiter=RateLimiter(rate_per_s=settings.api_rate_per_s, burst=settings.api_rate_burst),
        anonymous_limiter=RateLimiter(
            rate_per_s=settings.api_anonymous_rate_per_s, burst=settings.api_anonymous_rate_burst
        ),
        metrics=ApiMetrics(registry if registry is not None else CollectorRegistry()),
        now=now,
        policy=policy,
        desk=desk,
    )
    if monotonic is not None:
        svc.monotonic = monotonic
    webhook_topics = [settings.topic(t.name) for t in WEBHOOK_READS]
    svc.webhook_feed = LedgerFeed(settings, webhook_topics, svc.webhooks, client_id="jaring-api-webhooks")
    webhook_feed = svc.webhook_feed

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        svc.publisher.start()
        svc.feed.start(after=svc.publisher.topics_ready)
        webhook_feed.start(after=svc.publisher.topics_ready)
        try:
            yield
        finally:
            await webhook_feed.stop()
            await svc.feed.stop()
            await svc.publisher.stop()

    app = FastAPI(
        title="Jaring sponsor API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.services = svc
    app.state.max_body_bytes = settings.api_max_body_bytes
    app.state.statements = statements
    app.state.reports = reports
    app.include_router(operations)
    app.include_router(payer_desk)
    app.include_router(payer_reads)
    app.include_router(webhook_desk)
    app.include_router(desk_reads)
    app.include_router(life_desk)
    app.include_router(statement_reads)
    app.include_router(report_reads)
    app.include_router(probes)
    install_handlers(app)
    # The last added runs first: count every answer, turn any fault into a problem, decide who is
    # calling (401/429) before anything about the body, then refuse bodies it will not read.
    # Routers are included lazily (FastAPI matches them as one route each): match on their routes.
    routes = [
        *operations.routes, *payer_desk.routes, *payer_reads.routes, *webhook_desk.routes, *desk_reads.routes,
        *life_desk.routes, *statement_reads.routes, *report_reads.routes, *probes.routes,
    ]
    uploads = dict.fromkeys(UPLOAD_PATHS, settings.api_upload_max_bytes)
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=settings.api_max_body_bytes, routes=routes, uploads=uploads
    )
    app.add_middleware(CallerGate, services=svc)
    app.add_middleware(InternalErrorMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=svc.metrics, routes=routes)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with problems as problem+json only (FastAPI also lists application/json)."""
    if app.openapi_schema is None:
        doc = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for path in doc["paths"].values():
            for operation in path.values():
                answers = operation.get("responses", {})
                for status, response in list(answers.items()):
                    content = response.get("content", {})
                    if PROBLEM_MEDIA_TYPE in content:
                        content.pop("application/json", None)
                    elif "HTTPValidationError" in str(content):
                        del answers[status]  # a path id that is any string never fails validation
        for unused in ("HTTPValidationError", "ValidationError"):
            doc["components"]["schemas"].pop(unused, None)
        app.openapi_schema = with_pledge_bounds(doc, app.state.services.policy)
    return app.openapi_schema


def openapi_document(settings: Settings | None = None) -> dict[str, Any]:
    """The OpenAPI document, as committed in ``api/openapi.json``; builds the app, starts nothing."""
    return create_app(settings or Settings()).openapi()
