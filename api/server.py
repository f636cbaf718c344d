"""``jaring api``: serve the sponsor API with uvicorn until stopped.

The API carries no TLS of its own: bind it to loopback (the default) and put
a TLS-terminating proxy in front, since bearer keys must not cross a network
in clear text.
"""

from __future__ import annotations

import logging
from pathlib import Path

import uvicorn

from api.app import create_app
from infra.log_throttle import install as throttle_kafka_errors
from infra.settings import Settings

__all__ = ["serve"]

log = logging.getLogger("jaring.api")


def serve(settings: Settings) -> int:
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    throttle = throttle_kafka_errors(settings.kafka_log_summary_s)
    if not Path(settings.api_keys_file).exists():
        log.warning("no key file at %s: every request will be refused until 'jaring keys create' makes one",
                    settings.api_keys_file)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level=settings.log_level,
        server_header=False,
        proxy_headers=False,
        lifespan="on",
    )
    try:
        uvicorn.Server(config).run()
    finally:
        throttle.uninstall()
    return 0
