"""Faust's Prometheus sensor without its per-message bookkeeping.

Faust's sensor updates several labelled metrics for every message received,
every stream event, every table write and every message sent: about an
eighth of a busy worker's CPU (``py-spy record --gil`` during
``benchmarks/e2e.py``). Jaring counts its own inputs, outputs, dead letters
and latency per stage (``streams.metrics``) and each partition's lag, so
what is kept from Faust is what only Faust knows: rebalances and their
duration, commit latency, end and committed offsets per partition, send
errors and web requests, under the same ``faust_*`` names.

One per-event hook keeps a single write: the time a partition's stream last
took an event (``stream_inbound_time``), which Faust's consumer reads to
tell a stalled stream from a busy one. Without it, every partition whose
backlog outlived ``stream_processing_timeout`` (5 minutes: a regency's
intake, a restart behind a long backlog) logged "Stream has not started
processing" at ERROR every few seconds, as loud for a busy worker as for a
stalled one.
"""

from __future__ import annotations

from time import monotonic
from typing import Any, cast

from aiohttp.web import Response
from faust import web
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from faust.types import TP, AppT
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

__all__ = ["LeanPrometheusMonitor", "setup_sensor"]


def _skip(self: Any, *args: Any, **kwargs: Any) -> None:
    return None


class LeanPrometheusMonitor(PrometheusMonitor):
    """Per-message hooks do nothing; rebalance, commit, offset and error hooks are Faust's."""

    on_message_in = on_stream_event_out = on_message_out = _skip
    on_table_get = on_table_set = on_table_del = _skip
    on_send_initiated = on_send_completed = _skip

    def on_stream_event_in(self, tp: TP, offset: int, stream: Any, event: Any) -> None:
        """Only what Faust's consumer reads (``verify_event_path``): the stream took an event now."""
        self.stream_inbound_time[tp] = monotonic()

    def on_send_error(self, *args: Any, **kwargs: Any) -> None:
        self._metrics.total_error_messages_sent.inc()  # Faust's also times it from on_send_initiated


def setup_sensor(app: AppT, registry: CollectorRegistry, path: str = "/metrics") -> None:
    """Install the sensor and serve ``registry`` (Faust's metrics and Jaring's) at ``path``."""
    app.monitor = LeanPrometheusMonitor(metrics=FaustMetrics.create(registry, "faust"))

    @app.page(path)
    async def metrics_page(self: web.View, request: web.Request) -> web.Response:
        body = generate_latest(registry)
        return cast(web.Response, Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST}))
