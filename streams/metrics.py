"""What a worker tells its operator: every metric in one typed container.

Built against the registry it is given (the worker's own, or a fresh one in
a test). Labels are bounded: topic, partition, region (a regency code),
reason and outcome codes; never a NIK, a worker, a pledge or an event id.

Faust's own sensor (``faust_*`` metrics, ``streams.repairs.sensor``: end and
committed offsets, rebalances and their duration, commit latency, send
errors) shares the registry and the ``/metrics`` page; the metrics here say
what the messages meant: who applied, who was covered, where the money
stands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from models.codec import (
    INVALID_FIELD,
    NOT_JSON,
    NULL_VALUE,
    RECORD_TOO_LARGE,
    UNKNOWN_TYPE,
    UNSUPPORTED_SCHEMA_VERSION,
    WRONG_KEY,
    WRONG_TOPIC,
)
from models.events import (
    ApplicationRejected,
    ApplicationWaiting,
    CoverageActivated,
    CoverageCancelled,
    CoverageCommitted,
    CoverageExpired,
    CoverageLapsed,
    CoverageRenewed,
    FundingMovement,
    LifeEventKind,
    LifeEventRecorded,
    LifeEventRejected,
    OutputEvent,
    PaymentReconciled,
    PledgeRejected,
    pledge_key,
)
from models.ledger import MONEY
from models.topics import PLEDGE_STATUS
from streams.repairs.restore import Restored

__all__ = [
    "BATCH_BUCKETS", "DEAD_LETTER_REASONS", "LATENCY_BUCKETS", "RECONCILE_OUTCOMES", "RESTORE_BUCKETS",
    "TERM_STATES",
    "EngineMetrics",
]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Match latency, from the input's arrival in Kafka to its seat's commitment: tens of
milliseconds when healthy, seconds when lagging; the alert fires past 5 s at p99."""

BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
"""Events per matcher batch: 1 on a quiet stream, up to ``JARING_BATCH_MAX`` when catching up."""

RESTORE_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
"""A restarted worker's bulk read of its tables' changelogs (``streams.repairs.restore``): 30 s for
325,639 records at 100,000 covered workers on a loaded machine (README, Scale); the goal is a restart
under 60 s at a million."""

TERM_STATES = {"registering": "registering", "active": "covered", "lapsed": "lapsed"}
"""``jaring_coverage_terms`` states and the dashboard level each reads (``models.ledger.SeriesPoint``)."""

RECONCILE_OUTCOMES = ("exact", "short", "over", "unknown_reference", "duplicate")

_PLEDGE_STATUSES = {kind: str(kind.model_fields["type"].default).removeprefix("pledge.")
                    for kind in PLEDGE_STATUS.carries}
"""``jaring_pledges`` counts every event on the pledge-status topic, by its type: accepted, rejected..."""

DEAD_LETTER_REASONS = (
    NOT_JSON, NULL_VALUE, UNKNOWN_TYPE, UNSUPPORTED_SCHEMA_VERSION, INVALID_FIELD,
    WRONG_TOPIC, WRONG_KEY, RECORD_TOO_LARGE, "wrong_region", "engine_error",
)
"""Every reason a record is dead-lettered; their series start at 0 so that
``increase()`` sees the first dead letter (a series born at 2 shows no increase).
The counter grows once the broker has acknowledged the dead letter
(``streams.outputs.dead_lettered``), so it counts what the topic holds."""


@dataclass(frozen=True)
class EngineMetrics:
    inputs: Counter
    dead_letters: Counter
    applications: Counter
    application_rejections: Counter
    matches: Counter
    expiries: Counter
    pledges: Counter
    pledge_rejections: Counter
    events: Counter
    waiting: Gauge
    covered: Gauge
    rupiah: Gauge
    terms: Gauge
    registrations: Counter
    payments: Counter
    pledges_running_out: Gauge
    match_latency: Histogram
    batch_events: Histogram
    consumer_lag: Gauge
    life_events: Counter
    life_event_rejections: Counter
    restore_seconds: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> EngineMetrics:
        def counter(name: str, doc: str, labels: Iterable[str] = ()) -> Counter:
            return Counter(name, doc, list(labels), registry=registry)

        def gauge(name: str, doc: str, labels: Iterable[str] = ()) -> Gauge:
            return Gauge(name, doc, list(labels), registry=registry)

        metrics = cls(
            inputs=counter("jaring_inputs", "Input records read by the router.", ["topic"]),
            dead_letters=counter("jaring_dead_letters",
                                 "Dead letters the broker acknowledged on the dead-letter topic.",
                                 ["stage", "reason"]),
            applications=counter("jaring_applications", "Applications by outcome.", ["outcome"]),
            application_rejections=counter("jaring_application_rejections",
                                           "Rejected applications by reason.", ["reason"]),
            matches=counter("jaring_matches", "Seats filled, by kind: committed (a match, awaiting "
                            "registration) or renewed (active at once).", ["kind"]),
            expiries=counter("jaring_coverage_expired", "Terms ended, by what followed.", ["outcome"]),
            pledges=counter("jaring_pledges", "Pledge status changes.", ["status"]),
            pledge_rejections=counter("jaring_pledge_rejections", "Rejected pledges by reason.", ["reason"]),
            events=counter("jaring_events_processed", "Events handled per agent.", ["agent"]),
            waiting=gauge("jaring_waiting_workers", "Eligible workers waiting for a seat.", ["region"]),
            covered=gauge("jaring_covered_workers", "Workers with an active term.", ["region"]),
            rupiah=gauge("jaring_rupiah", "Money by ledger state: pledged, committed, billed, paid, due, "
                         "arrears, written_off, returned, remaining (pledged - paid - returned).",
                         ["region", "state"]),
            terms=gauge("jaring_coverage_terms", "Seats by state: registering (committed, awaiting BPJS), "
                        "active, lapsed (ever).", ["region", "state"]),
            registrations=counter("jaring_registrations",
                                  "BPJS's answers to registration requests: confirmed, rejected, expired "
                                  "(no answer by the deadline).", ["outcome"]),
            payments=counter("jaring_payments", "Payments reconciled, by outcome.", ["outcome"]),
            pledges_running_out=gauge(
                "jaring_pledges_running_out",
                "Pledges whose committed money is all paid within one month close.", ["region"],
            ),
            match_latency=Histogram(
                "jaring_match_latency_seconds",
                "From the input's timestamp in Kafka to its coverage event being acknowledged.",
                buckets=LATENCY_BUCKETS, registry=registry,
            ),
            batch_events=Histogram(
                "jaring_batch_events",
                "Region-log events per batch the matcher wrote (streams.batch): grows with the load.",
                buckets=BATCH_BUCKETS, registry=registry,
            ),
            consumer_lag=gauge("jaring_consumer_lag", "Records behind the end of each assigned partition.",
                               ["topic", "partition"]),
            life_events=counter("jaring_life_events", "Life events applied, by kind: moved_out, "
                                "employer_covered, deceased (a JKM claim), left_programme, accident_claim "
                                "(a JKK claim).", ["kind"]),
            life_event_rejections=counter("jaring_life_event_rejections",
                                          "Life events the engine could not apply, by reason.", ["reason"]),
            restore_seconds=Histogram(
                "jaring_restore_seconds",
                "Each bulk read of the tables' changelogs after a (re)start or rebalance, until it applied "
                "every record up to the highwaters (streams.repairs.restore); the log says how many.",
                buckets=RESTORE_BUCKETS, registry=registry,
            ),
        )
        for stage in ("router", "matcher"):
            for reason in DEAD_LETTER_REASONS:
                metrics.dead_letters.labels(stage, reason)
        for outcome in ("waiting", "rejected", "matched_on_arrival"):
            metrics.applications.labels(outcome)
        for kind in ("committed", "renewed"):
            metrics.matches.labels(kind)
        for outcome in RECONCILE_OUTCOMES:
            metrics.payments.labels(outcome)
        for outcome in ("confirmed", "rejected", "expired"):
            metrics.registrations.labels(outcome)
        for status in _PLEDGE_STATUSES.values():
            metrics.pledges.labels(status)
        for kind in LifeEventKind:
            metrics.life_events.labels(kind.value)
        return metrics

    def observe_outputs(self, outputs: Iterable[OutputEvent], latency_s: float | None) -> None:
        """Count what a step emitted; ``latency_s`` is observed once per seat it filled (a match)."""
        for event in outputs:
            if isinstance(event, ApplicationWaiting):
                self.applications.labels("waiting").inc()
            elif isinstance(event, ApplicationRejected):
                self.applications.labels("rejected").inc()
                self.application_rejections.labels(event.reason).inc()
            elif isinstance(event, CoverageCommitted | CoverageRenewed):
                kind = "committed" if isinstance(event, CoverageCommitted) else "renewed"
                self.matches.labels(kind).inc()
                if isinstance(event, CoverageCommitted) and not event.was_waiting:
                    self.applications.labels("matched_on_arrival").inc()
                if latency_s is not None:
                    self.match_latency.observe(max(0.0, latency_s))
            elif isinstance(event, CoverageActivated):
                self.registrations.labels("confirmed").inc()
            elif isinstance(event, CoverageExpired):
                self.expiries.labels(event.outcome).inc()
            elif isinstance(event, CoverageLapsed):
                self.expiries.labels("lapsed").inc()
            elif isinstance(event, CoverageCancelled):
                self.registrations.labels(event.reason.removeprefix("registration_")).inc()
            elif isinstance(event, PaymentReconciled):
                self.payments.labels(event.outcome).inc()
            elif isinstance(event, LifeEventRecorded):
                self.life_events.labels(event.kind.value).inc()
            elif isinstance(event, LifeEventRejected):
                self.life_event_rejections.labels(event.reason).inc()
            elif (status := _PLEDGE_STATUSES.get(type(event))) is not None:
                self.pledges.labels(status).inc()
                if isinstance(event, PledgeRejected):
                    self.pledge_rejections.labels(event.reason).inc()

    def observe_restore(self, restored: Restored) -> None:
        """Time a bulk read of the changelogs (one that had something to read)."""
        self.restore_seconds.observe(restored.seconds)

    def observe_region(
        self, region: str, levels: Mapping[str, int], runways: Mapping[str, int]
    ) -> None:
        """Set the region's gauges from its dashboard levels and each pledge's runway in months."""
        self.waiting.labels(region).set(levels.get("waiting", 0))
        self.covered.labels(region).set(levels.get("covered", 0))
        for field in MONEY:
            self.rupiah.labels(region, field.removesuffix("_idr")).set(levels.get(field, 0))
        for state, level in TERM_STATES.items():
            self.terms.labels(region, state).set(levels.get(level, 0))
        remaining = levels.get("pledged_idr", 0) - levels.get("paid_idr", 0) - levels.get("returned_idr", 0)
        self.rupiah.labels(region, "remaining").set(remaining)
        self.pledges_running_out.labels(region).set(sum(1 for months in runways.values() if months == 1))

    @staticmethod
    def runways(outputs: Iterable[OutputEvent], into: dict[str, int]) -> dict[str, int]:
        """Each pledge's latest runway (month closes left to pay), by ``pledge_key``, from its movements."""
        for event in outputs:
            if isinstance(event, FundingMovement):
                into[pledge_key(event.sponsor_id, event.pledge_id)] = event.balances.runway_months
        return into
