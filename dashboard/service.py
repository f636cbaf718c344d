"""``jaring dashboard``: the consumer, the push loop and the web server in one process.

Binds to ``JARING_DASHBOARD_HOST`` (loopback by default: exposing the page
is a deliberate act) and ``JARING_DASHBOARD_PORT``. Shows the regions the
city's policy serves (``JARING_POLICY_FILE``, the engine's), the first by
default. The page is served at
once; ``/healthz`` turns 200 when the read model has caught up with the
topics as they stood at start. SIGTERM or Ctrl-C stops it cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiohttp import web
from prometheus_client import CollectorRegistry

from dashboard.consumer import Follower
from dashboard.metrics import DashboardMetrics
from dashboard.push import Hub
from dashboard.read_model import CityView
from dashboard.web import build_app
from infra.log_throttle import install as throttle_kafka_errors
from infra.settings import Settings

__all__ = ["run", "serve"]

log = logging.getLogger("jaring.dashboard")


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run until ``stop`` is set (or the consumer fails, which is raised)."""
    view = CityView(  # the city's regions, and only those; no count under JARING_MIN_CELL shown alone
        regions=settings.city_policy().served_regencies, min_cell=settings.min_cell
    )
    metrics = DashboardMetrics.create(CollectorRegistry())
    follower = Follower(settings, view, metrics)
    hub = Hub(view, pages=metrics.live_pages)
    app = build_app(view, hub, follower.ready.is_set, metrics.registry,
                    before_scrape=lambda: metrics.observe_fairness(view))
    runner = web.AppRunner(app, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, settings.dashboard_host, settings.dashboard_port)
    await site.start()
    log.info("dashboard on http://%s:%d/ (namespace %s)",
             settings.dashboard_host, settings.dashboard_port, settings.namespace)
    tasks = [asyncio.create_task(follower.run()), asyncio.create_task(hub.run())]
    stopped = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait([*tasks, stopped], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopped:
                task.result()  # a consumer that died takes the service down, loudly
    finally:
        for task in [*tasks, stopped]:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await runner.cleanup()


def run(settings: Settings) -> int:
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    throttle_kafka_errors(settings.kafka_log_summary_s)  # for this process's life: one line per retry drowns

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, stop)

    asyncio.run(main())
    return 0
