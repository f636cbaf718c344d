"""Request metrics for Prometheus, built against a registry passed in.

Labels are the route's path *template* (``/v1/pledges/{pledge_id}``), never
the path a client sent: ids would make one time series per pledge, and a
prober could fill the server's memory with them. Paths no route matches
share the label ``unmatched``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ApiMetrics", "MetricsMiddleware"]

_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""A POST waits for every in-sync replica (a few ms on one host, tens across racks);
reads answer from memory in well under a millisecond; 5-10 s is the produce timeout
that ends in a 503."""


class ApiMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "jaring_api_requests", "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"], registry=registry,
        )
        self.seconds = Histogram(
            "jaring_api_request_seconds", "Time to answer an HTTP request, by route template and method.",
            ["route", "method"], buckets=_BUCKETS, registry=registry,
        )


def _template(scope: Scope, routes: Sequence[BaseRoute]) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    for candidate in routes:  # answered before routing (413 on Content-Length): match it ourselves
        match, _ = candidate.matches(scope)
        if match is not Match.NONE:
            return str(getattr(candidate, "path", "unmatched"))
    return "unmatched"


class MetricsMiddleware:
    """Outermost ASGI middleware: counts every answer, whoever produced it."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics, routes: Sequence[BaseRoute]) -> None:
        self.app, self.metrics, self.routes = app, metrics, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            labels: dict[str, Any] = {"route": _template(scope, self.routes), "method": scope["method"]}
            self.metrics.requests.labels(**labels, status=str(status)).inc()
            self.metrics.seconds.labels(**labels).observe(time.perf_counter() - started)
