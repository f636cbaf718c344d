"""``jaring health``: the container health check, one command for every service.

Each service answers on loopback inside its container: the API, the
dashboard and the webhook deliverer at ``/healthz`` (the dashboard and the
deliverer only once they have read their topics), a worker at ``/metrics``
(its web server runs once the app has started).
Exit 0 when the answer is 200, 1 otherwise, which is what Docker's
``HEALTHCHECK`` and compose's ``healthcheck`` read.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from infra.settings import Settings

__all__ = ["SERVICES", "check", "health_url"]

SERVICES = ("worker", "api", "dashboard", "webhooks")


def health_url(service: str, settings: Settings) -> str:
    port, path = {
        "worker": (settings.web_port, "/metrics"),
        "api": (settings.api_port, "/healthz"),
        "dashboard": (settings.dashboard_port, "/healthz"),
        "webhooks": (settings.webhook_port, "/healthz"),
    }[service]
    return f"http://127.0.0.1:{port}{path}"


def check(service: str, settings: Settings, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(health_url(service, settings), timeout=timeout) as response:  # noqa: S310 - loopback http
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False
