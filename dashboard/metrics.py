"""What the dashboard service tells its operator, on its own ``/metrics``.

Built against the registry it is given. Labels are bounded: topic names, the
regions the city serves, and for the fairness gauges a ``dimension`` of
``models.fairness.DIMENSIONS`` and a ``group`` of its fixed vocabulary (the
regency's district codes, occupations, sex, decile 1-10, disability yes/no,
``unknown``) or ``_merged``; never a worker. The fairness gauges are set from
the view at each scrape, small groups merged as on the page
(``JARING_MIN_CELL``), so a group that became small leaves no stale series.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from dashboard.read_model import CityView

__all__ = ["DashboardMetrics"]


@dataclass(frozen=True)
class DashboardMetrics:
    registry: CollectorRegistry
    events: Counter
    unreadable: Counter
    live_pages: Gauge
    ready: Gauge
    fairness_ratio: Gauge
    fairness_workers: Gauge

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
            fairness_ratio=Gauge(
                "jaring_fairness_coverage_ratio",
                "A group's coverage (covered/eligible) over its regency's, latest month: 1 is even.",
                ["region", "dimension", "group"], registry=registry,
            ),
            fairness_workers=Gauge(
                "jaring_fairness_workers",
                "Workers in a group, latest month: population eligible (ever) or covered (now); small "
                "groups merged into group _merged.",
                ["region", "dimension", "group", "population"], registry=registry,
            ),
        )

    def observe_fairness(self, view: CityView) -> None:
        """Set the fairness gauges from ``view`` as it is now (called before each scrape)."""
        self.fairness_ratio.clear()
        self.fairness_workers.clear()
        for region in view.regions():
            _, tables = view.fairness(region)
            for table in tables:
                for row in table.rows:
                    labels = (region, table.dimension, row.group)
                    self.fairness_workers.labels(*labels, "eligible").set(row.eligible)
                    self.fairness_workers.labels(*labels, "covered").set(row.covered)
                    if row.ratio is not None:
                        self.fairness_ratio.labels(*labels).set(float(row.ratio))
