"""What the dashboard service tells its operator, on its own ``/metrics``.

Built against the registry it is given. Labels are topic names only.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["DashboardMetrics"]


@dataclass(frozen=True)
class DashboardMetrics:
    registry: CollectorRegistry
    events: Counter
    unreadable: Counter
    live_pages: Gauge
    ready: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> DashboardMetrics:
        return cls(
            registry=registry,
            events=Counter("jaring_dashboard_events", "Output records folded into the read model.",
                           ["topic"], registry=registry),
            unreadable=Counter("jaring_dashboard_unreadable", "Output records that did not decode.",
                               registry=registry),
            live_pages=Gauge("jaring_dashboard_live_pages", "Pages receiving live updates now.",
                             registry=registry),
            ready=Gauge("jaring_dashboard_ready", "1 once the read model has caught up with the topics.",
                        registry=registry),
        )
