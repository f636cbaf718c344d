"""The worker's one Faust app, its settings and its metrics: built once, at import.

Faust registers agents, tables and timers on an app object as their modules
are imported, so the modules that declare them import this one; this module
imports none of them (``streams.worker`` composes the worker).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from infra.settings import Settings
from streams.app import create_app
from streams.metrics import EngineMetrics
from streams.repairs.recovery import observe_restores
from streams.repairs.sensor import setup_sensor

__all__ = ["app", "metrics", "registry", "settings"]

settings = Settings()
app = create_app(settings)
registry = CollectorRegistry()
# /metrics serves Faust's sensor (faust_*, whatever the namespace) and Jaring's metrics.
setup_sensor(app, registry)
metrics = EngineMetrics.create(registry)
observe_restores(app, metrics.observe_restore)  # jaring_restore_seconds
