"""A real Prometheus scrapes a real worker: its answers match what the scenario did."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import Request, urlopen

import pytest

from dashboard.consumer import TOPICS as DASHBOARD_TOPICS
from deploy.kafka.runner import free_port
from infra.settings import Settings
from infra.topic_io import send_all
from jaring.bpjs import Simulator
from jaring.demo import Answered, answer, close_months, feed, outputs_until
from jaring.processes import ServiceProcess
from jaring.scenario import applications, month_ticks, pledges
from models.codec import loads
from models.events import CoverageCommitted
from models.occupations import Occupation
from models.topics import PLEDGES, route
from tests.conftest import DashboardFactory, WorkerFactory
from tests.system_tools import system_tool

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules.yml"


class Prometheus:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"

    def get(self, path: str) -> dict:  # type: ignore[type-arg]
        with urlopen(self.url + path, timeout=5) as response:  # noqa: S310 - loopback http
            return loads(response.read())  # type: ignore[no-any-return]

    def value(self, query: str) -> float | None:
        result = self.get("/api/v1/query?query=" + quote(query))["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    async def until(self, query: str, expected: float, timeout: float = 60) -> float | None:
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            seen = self.value(query)
            if seen == expected:
                return seen
            await asyncio.sleep(1)
        return seen


@pytest.fixture
def prometheus_for(tmp_path: Path) -> Iterator[object]:
    binary = system_tool("prometheus")
    procs: list[subprocess.Popen[bytes]] = []

    def start(targets: dict[str, str]) -> Prometheus:
        config = tmp_path / "prometheus.yml"
        jobs = "".join(
            f"  - job_name: {job}\n    static_configs:\n      - targets: ['{target}']\n"
            for job, target in targets.items()
        )
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            f"rule_files:\n  - {RULES}\nscrape_configs:\n{jobs}"
        )
        port = free_port()
        with (tmp_path / "prometheus.log").open("wb") as log:
            procs.append(subprocess.Popen(
                [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                 f"--web.listen-address=127.0.0.1:{port}"],
                stdout=log, stderr=subprocess.STDOUT,
            ))
        prometheus = Prometheus(port)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urlopen(prometheus.url + "/-/ready", timeout=2):  # noqa: S310
                    return prometheus
            except (URLError, ConnectionError):
                time.sleep(0.3)
        raise TimeoutError("prometheus did not become ready")

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(15)


@pytest.fixture
def api(settings: Settings, tmp_path: Path) -> Iterator[ServiceProcess]:
    port = free_port()
    service = ServiceProcess(
        ["api"],
        env={"JARING_KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "JARING_NAMESPACE": settings.namespace,
             "JARING_TOPIC_PARTITIONS": str(settings.topic_partitions), "JARING_API_PORT": str(port),
             "JARING_API_KEYS_FILE": str(tmp_path / "no-keys.json")},
        log_path=tmp_path / "api.log",
        ready_url=f"http://127.0.0.1:{port}/healthz",
    )
    yield service.start()
    service.stop()


async def test_prometheus_answers_match_what_the_scenario_did(
    settings: Settings,
    worker_factory: WorkerFactory,
    dashboard_factory: DashboardFactory,
    api: ServiceProcess,
    prometheus_for: object,
) -> None:
    worker = worker_factory()
    dashboard = dashboard_factory()
    target = lambda service: service.ready_url.removeprefix("http://").removesuffix("/healthz")  # noqa: E731
    prometheus = prometheus_for({  # type: ignore[operator]
        "jaring-worker": f"127.0.0.1:{worker.env['JARING_WEB_PORT']}",
        "jaring-dashboard": target(dashboard),
        "jaring-api": target(api),
    })
    # Prometheus's first scrape comes seconds after it starts; a counter first seen at
    # its final value shows no increase(), so wait until it has seen the worker idle.
    assert await prometheus.until('up{job="jaring-worker"}', 1) == 1
    assert await prometheus.until('up{job="jaring-dashboard"}', 1) == 1
    assert await prometheus.until('up{job="jaring-api"}', 1) == 1
    for _ in range(3):  # a sponsor without a key: 401, counted by route template
        request = Request(api.ready_url.removesuffix("/healthz") + "/v1/pledges", data=b"{}", method="POST")  # noqa: S310
        with pytest.raises(HTTPError):
            urlopen(request, timeout=5)  # noqa: S310 - loopback http
    apps = applications(300, seed=61)
    offers = pledges([120, 80], start=apps[-1].event_time + timedelta(hours=1))
    await feed(settings, apps)
    await outputs_until(settings, lambda r: r.accounted >= 300)
    await feed(settings, offers)
    # Only now the ticks: the pledge and clock topics have no order between them, and a
    # tick routed before a pledge closes its month unpaid (CI saw exactly that once).
    await outputs_until(settings, lambda r: r.result.counts["coverage.committed"] >= 200)
    # BPJS confirms the registrations; the payers pay January's bills in February (jaring.bpjs)
    simulator, answered = Simulator(), Answered()
    await answer(settings, simulator, answered)
    await close_months(settings, simulator, answered, month_ticks("2026-01", 2))
    await send_all(settings.kafka_bootstrap, settings.topic(PLEDGES.name), [(b"74.71", b"{not json")] * 2)
    audit = await outputs_until(
        settings,
        lambda r: r.result.counts["bill.line"] >= 400 and r.result.counts["deadletter"] >= 2,
        applications=300,
    )
    assert audit.ok, audit.violations

    assert await prometheus.until('up{job="jaring-worker"}', 1) == 1
    assert await prometheus.until("sum(jaring_matches_total)", audit.counts["coverage.committed"]) == 200
    assert await prometheus.until('sum(jaring_registrations_total{outcome="confirmed"})', 200) == 200
    assert await prometheus.until('sum(jaring_payments_total{outcome="exact"})', 2) == 2
    assert await prometheus.until('sum(jaring_coverage_terms{state="active"})', 200) == 200
    assert await prometheus.until("sum(jaring_applications_total)", 300) == 300
    assert await prometheus.until('sum(jaring_dead_letters_total{stage="router"})', 2) == 2
    assert await prometheus.until('sum(jaring_rupiah{state="pledged"})', sum(p.amount_idr for p in offers)) \
        == 200 * 16_800 * 12
    # January and February 2026: PP 50/2025 halves an ojek driver's JKK+JKM (Rp 8,400), not yet others'
    month = sum(8_400 if c.occupation is Occupation.OJEK_DRIVER else 16_800
                for c in audit.events if isinstance(c, CoverageCommitted))
    assert await prometheus.until('sum(jaring_rupiah{state="billed"})', 2 * month) == 2 * month
    assert await prometheus.until('sum(jaring_rupiah{state="paid"})', month) == month
    assert await prometheus.until('sum(jaring_rupiah{state="due"})', month) == month
    assert await prometheus.until("sum(jaring_waiting_workers)", 100) == 100
    assert await prometheus.until("sum(jaring_covered_workers)", 200) == 200
    # 300 applications, 2 pledges, 200 registrations confirmed, 2 payments, 2 ticks; every application
    # passed the person index first
    assert await prometheus.until('sum(jaring_events_processed_total{agent="matcher"})', 506) == 506
    assert await prometheus.until('sum(jaring_events_processed_total{agent="persons"})', 300) == 300
    p99 = "histogram_quantile(0.99, sum by (le) (jaring_match_latency_seconds_bucket))"
    assert (prometheus.value(p99) or 0) > 0
    assert (prometheus.value("sum(faust_topic_partition_end_offset)") or 0) > 0  # Faust's own sensor too
    rules = {r["name"] for g in prometheus.get("/api/v1/rules")["data"]["groups"] for r in g["rules"]}
    assert {"JaringWorkerDown", "JaringDeadLettersArriving", "JaringMatchLatencyHigh"} <= rules
    # The dashboard read every output record the worker wrote on the topics it follows (not the
    # dead letters, not the bills).
    folded = sum(route(e)[0] in DASHBOARD_TOPICS for e in audit.events) + audit.duplicates
    assert await prometheus.until("sum(jaring_dashboard_events_total)", folded) == folded
    assert prometheus.value("jaring_dashboard_ready") == 1
    unauthorised = 'sum(jaring_api_requests_total{route="/v1/pledges", method="POST", status="401"})'
    assert await prometheus.until(unauthorised, 3) == 3
    firing = 'count(ALERTS{alertname="JaringDeadLettersArriving", alertstate="firing"})'
    assert await prometheus.until(firing, 1, timeout=30) == 1, prometheus.get("/api/v1/alerts")
