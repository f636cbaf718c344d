"""A broker that speaks only TLS to its clients: every Jaring process verifies its CA, and refuses clearly.

One broker for the module (``deploy.kafka.runner`` with certificates made
now by ``deploy.kafka.tls``) listens for ``SSL``, for ``SSL`` with a
required client certificate (mutual TLS) and for ``SASL_SSL`` (SCRAM over
TLS, the shape a city on a shared cluster uses). Every process here is a
real ``jaring`` command configured only through ``JARING_*`` variables.

A wrong CA, a host the certificate does not name and a missing client
certificate must stop each command at once with exit status 78 and one
coded sentence (``infra.kafka_security.check_tls``), not leave it
retrying with aiokafka's "Unable to bootstrap".
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from pydantic import SecretStr

from api.keys import KeyFile, Role, issue
from deploy.kafka.runner import KafkaCluster, free_port
from deploy.kafka.tls import Pki, make_ca, make_pki
from infra.kafka_security import client_kwargs
from infra.settings import Settings
from infra.topic_io import read_until
from jaring.bpjs import Simulator
from jaring.demo import Answered, answer, feed, outputs_until
from jaring.processes import ServiceProcess
from jaring.scenario import applications, pledges
from models.codec import decode
from models.events import CoverageCommitted, PledgeSubmitted
from models.topics import COVERAGE, PLEDGES, TOPICS
from tests.conftest import WorkerFactory
from tests.unit.factories import application

EVERY_TOPIC = len(TOPICS) + 5
"""What `jaring topics create` makes: every topic of models.topics, the readiness probe's two, and the
engine's three table changelogs (region state, probe, person index)."""

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

PASSWORD = "scram-over-tls-password-5302"
EXIT_CONFIG = 78


@dataclass(frozen=True)
class TlsBroker:
    cluster: KafkaCluster
    pki: Pki
    wrong_ca: Path
    """A CA that signed nothing this broker presents: what a client with the wrong bundle trusts."""


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsBroker]:
    pki = make_pki(tmp_path_factory.mktemp("pki"))
    wrong_ca, _ = make_ca(tmp_path_factory.mktemp("other-pki"), "some-other-ca")
    with KafkaCluster(size=1, workdir=tmp_path_factory.mktemp("tls-kafka"),
                      scram_users={"jaring": PASSWORD}, tls=pki) as cluster:
        yield TlsBroker(cluster, pki, wrong_ca)


def sasl_ssl_env(broker: TlsBroker) -> dict[str, str]:
    """A city on a shared cluster: SCRAM over TLS, the cluster's CA bundle, hostnames checked."""
    return {
        "JARING_KAFKA_BOOTSTRAP": broker.cluster.sasl_ssl_bootstrap_servers,
        "JARING_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "JARING_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "JARING_KAFKA_SASL_USERNAME": "jaring",
        "JARING_KAFKA_SASL_PASSWORD": PASSWORD,
        "JARING_KAFKA_SSL_CAFILE": str(broker.pki.ca),
        "JARING_KAFKA_SSL_CHECK_HOSTNAME": "true",
    }


def mtls_env(broker: TlsBroker) -> dict[str, str]:
    """Mutual TLS: the listener demands a client certificate the CA signed."""
    return {
        "JARING_KAFKA_BOOTSTRAP": broker.cluster.mtls_bootstrap_servers,
        "JARING_KAFKA_SECURITY_PROTOCOL": "SSL",
        "JARING_KAFKA_SSL_CAFILE": str(broker.pki.ca),
        "JARING_KAFKA_SSL_CERTFILE": str(broker.pki.client_cert),
        "JARING_KAFKA_SSL_KEYFILE": str(broker.pki.client_key),
    }


def without_client_cert(env: dict[str, str]) -> dict[str, str]:
    """The same settings, minus the client certificate and its key."""
    client_cert = ("JARING_KAFKA_SSL_CERTFILE", "JARING_KAFKA_SSL_KEYFILE")
    return {k: v for k, v in env.items() if k not in client_cert}


@pytest.fixture
def settings(tls_broker: TlsBroker, namespace: str) -> Settings:
    """Overrides the session broker's settings: the test's own clients speak SCRAM over TLS too."""
    return Settings(
        kafka_bootstrap=tls_broker.cluster.sasl_ssl_bootstrap_servers,
        namespace=namespace,
        topic_partitions=4,
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="jaring",
        kafka_sasl_password=SecretStr(PASSWORD),
        kafka_ssl_cafile=str(tls_broker.pki.ca),
    )


def run_jaring(*command: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``jaring <command>`` to its end, with only ``env``'s Kafka settings (none inherited)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("JARING_")}
    return subprocess.run([sys.executable, "-m", "jaring", *command], env={**inherited, **env},
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[list[ServiceProcess]]:
    """API and dashboard processes started by a test; all stopped at its end."""
    started: list[ServiceProcess] = []
    yield started
    for service in started:
        service.stop()


def pledge_body(seats: int) -> dict[str, Any]:
    # The API checks the validity window against its own clock (today), so the dates are today's.
    today = datetime.now(UTC).date()
    return {"region": "74.71", "amount_idr": seats * 16_800 * 12, "months": 12, "package": "JKK_JKM",
            "valid_from": str(today), "valid_until": str(today + timedelta(days=90))}


async def test_a_city_on_scram_over_tls_runs_worker_api_and_dashboard_end_to_end(
    settings: Settings, tls_broker: TlsBroker, worker_factory: WorkerFactory,
    services: list[ServiceProcess], tmp_path: Path,
) -> None:
    env = {**sasl_ssl_env(tls_broker), "JARING_NAMESPACE": settings.namespace, "JARING_TOPIC_PARTITIONS": "4"}
    key, record = issue(Role.SPONSOR, "dealer-kendari", datetime.now(UTC))
    KeyFile(tmp_path / "api-keys.json").add(record)
    api_port, dashboard_port = free_port(), free_port()
    worker_factory(**env)  # it creates its own topics: nothing else has
    api = ServiceProcess(["api"], {**env, "JARING_API_PORT": str(api_port),
                                   "JARING_API_KEYS_FILE": str(tmp_path / "api-keys.json")},
                         tmp_path / "api.log", ready_url=f"http://127.0.0.1:{api_port}/readyz")
    dashboard = ServiceProcess(["dashboard"], {**env, "JARING_DASHBOARD_PORT": str(dashboard_port)},
                               tmp_path / "dashboard.log", ready_url=f"http://127.0.0.1:{dashboard_port}/healthz")
    services.extend([api, dashboard])
    api.start()  # /readyz answers 200 once its producer is connected to Kafka
    dashboard.start()  # /healthz answers 200 once its consumer has caught up with the topics
    now = datetime.now(UTC)
    await feed(settings, [application(event_time=now, submitted_at=now, birth_date=date(1980 + n, 3, 1),
                                      serial=n) for n in range(1, 4)])

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", timeout=30.0) as client:
        posted = await client.post("/v1/pledges", json=pledge_body(seats=2),
                                   headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "tls-1"})
    assert posted.status_code == 202, posted.text
    pledge_id = posted.json()["pledge_id"]
    pledged = await read_until(settings, [settings.topic(PLEDGES.name)], lambda records: len(records) >= 1)
    submitted = [e for r in pledged if isinstance(e := decode(r.value), PledgeSubmitted)]
    assert [(e.pledge_id, e.sponsor_id) for e in submitted] == [(pledge_id, "dealer-kendari")]
    covered = await read_until(settings, [settings.topic(COVERAGE.name)], lambda records: len(records) >= 2)
    committed = [e for r in covered if isinstance(e := decode(r.value), CoverageCommitted)]
    assert [e.pledge_id for e in committed] == [pledge_id, pledge_id]
    await answer(settings, Simulator(), Answered())  # BPJS confirms both registrations: cover starts
    snapshot = await dashboard_snapshot(dashboard_port, lambda body: body["totals"]["covered"] == 2)
    assert snapshot["totals"] == {
        "covered": 2, "waiting": 1, "ever_covered": 2, "rejected": 0, "registering": 0, "lapsed": 0,
        "withdrawn": 0, "claims_jkm": 0, "claims_jkk": 0,
    }
    assert [p["pledge_id"] for p in snapshot["pledges"]] == [pledge_id]


async def dashboard_snapshot(port: int, done: Any, timeout_s: float = 60) -> dict[str, Any]:
    """The dashboard's view of 74.71 once ``done(body)`` holds: what the page would show."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    body: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=10.0) as client:
        while asyncio.get_running_loop().time() < deadline:
            body = (await client.get(f"http://127.0.0.1:{port}/v1/snapshot?region=74.71")).json()
            if done(body):
                return body
            await asyncio.sleep(0.2)
    raise AssertionError(f"the dashboard never showed the outcome; last {body}")


async def test_mutual_tls_a_worker_with_a_client_certificate_matches_and_one_without_is_refused(
    tls_broker: TlsBroker, namespace: str, worker_factory: WorkerFactory,
) -> None:
    pki = tls_broker.pki
    mtls = Settings(kafka_bootstrap=tls_broker.cluster.mtls_bootstrap_servers, namespace=namespace,
                    topic_partitions=4, kafka_security_protocol="SSL", kafka_ssl_cafile=str(pki.ca),
                    kafka_ssl_certfile=str(pki.client_cert), kafka_ssl_keyfile=str(pki.client_key))
    env = {**mtls_env(tls_broker), "JARING_NAMESPACE": namespace, "JARING_TOPIC_PARTITIONS": "4"}
    no_cert = without_client_cert(env)

    created = run_jaring("topics", "create", env=env)
    refused = run_jaring("topics", "create", env=no_cert)
    worker_factory(**env)
    apps = applications(30, seed=14)
    await feed(mtls, [*apps, *pledges([10], start=apps[-1].event_time + timedelta(hours=1))])
    final = await outputs_until(
        mtls, lambda r: r.accounted >= 30 and r.result.counts["coverage.committed"] >= 10,
        timeout=90, applications=30,
    )
    anonymous = mtls.model_copy(update={"kafka_ssl_certfile": None, "kafka_ssl_keyfile": None})
    producer = AIOKafkaProducer(**client_kwargs(anonymous), request_timeout_ms=5_000)

    assert created.returncode == 0, created.stderr
    assert created.stdout.count("created ") == EVERY_TOPIC, created.stdout
    assert final.ok, final.violations
    assert final.counts["coverage.committed"] == 10
    assert refused.returncode == EXIT_CONFIG, refused.stderr
    assert refused.stderr.startswith("kafka_tls_client_cert: 127.0.0.1:"), refused.stderr
    assert "requires a client certificate (mutual TLS); set JARING_KAFKA_SSL_CERTFILE" in refused.stderr
    with pytest.raises(KafkaConnectionError):  # the broker itself refuses, whatever the pre-flight says
        await producer.start()
    await producer.stop()


def refusal_cases(broker: TlsBroker) -> dict[str, tuple[dict[str, str], str, str]]:
    """Misconfigurations as an operator makes them: (environment, code, the hint that names the fix)."""
    good = sasl_ssl_env(broker)
    port = broker.cluster.sasl_ssl_bootstrap_servers.rpartition(":")[2]
    mtls = mtls_env(broker)
    return {
        "wrong-ca": ({**good, "JARING_KAFKA_SSL_CAFILE": str(broker.wrong_ca)}, "kafka_tls_untrusted",
                     f"check JARING_KAFKA_SSL_CAFILE={broker.wrong_ca}: it must hold the CA"),
        # 127.1 is 127.0.0.1 to the resolver (inet_aton's short form), but a name
        # the certificate (localhost, 127.0.0.1) does not carry.
        "hostname": ({**good, "JARING_KAFKA_BOOTSTRAP": f"127.1:{port}"}, "kafka_tls_hostname",
                     "Hostname mismatch, certificate is not valid for '127.1'"),
        "no-client-cert": (without_client_cert(mtls), "kafka_tls_client_cert",
                           "set JARING_KAFKA_SSL_CERTFILE and JARING_KAFKA_SSL_KEYFILE"),
        "plaintext-port": ({**good, "JARING_KAFKA_BOOTSTRAP": broker.cluster.bootstrap_servers},
                           "kafka_tls_handshake", "is it a TLS listener?"),
    }


@pytest.mark.parametrize("case", ["wrong-ca", "hostname", "no-client-cert", "plaintext-port"])
@pytest.mark.parametrize("command", [("topics", "create"), ("worker",), ("api",), ("dashboard",)],
                         ids=["topics", "worker", "api", "dashboard"])
def test_a_tls_misconfiguration_stops_each_command_with_one_coded_sentence(
    tls_broker: TlsBroker, namespace: str, tmp_path: Path, command: tuple[str, ...], case: str,
) -> None:
    env, code, hint = refusal_cases(tls_broker)[case]
    ports = {"JARING_WEB_PORT": str(free_port()), "JARING_API_PORT": str(free_port()),
             "JARING_DASHBOARD_PORT": str(free_port())}

    result = run_jaring(*command, env={**env, **ports, "JARING_NAMESPACE": namespace,
                                      "JARING_DATA_DIR": str(tmp_path / "data")})

    assert result.returncode == EXIT_CONFIG, (result.returncode, result.stderr[-2000:])
    assert result.stderr.startswith(f"{code}: "), result.stderr[-2000:]
    assert hint in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # one sentence: no traceback, no retry log


async def test_clients_themselves_verify_the_ca_and_the_hostname(
    settings: Settings, tls_broker: TlsBroker
) -> None:
    """Not only the pre-flight: an aiokafka client built from the settings refuses both too."""
    port = tls_broker.cluster.sasl_ssl_bootstrap_servers.rpartition(":")[2]
    good = AIOKafkaProducer(**client_kwargs(settings))
    await good.start()
    await good.stop()
    for bad in (settings.model_copy(update={"kafka_ssl_cafile": str(tls_broker.wrong_ca)}),
                settings.model_copy(update={"kafka_bootstrap": f"127.1:{port}"})):
        producer = AIOKafkaProducer(**client_kwargs(bad), request_timeout_ms=5_000)
        with pytest.raises(KafkaConnectionError):
            await producer.start()
        await producer.stop()


def test_without_hostname_checking_the_same_host_is_accepted_but_the_ca_still_checked(
    tls_broker: TlsBroker, namespace: str,
) -> None:
    """The control for the hostname case: only the name was wrong, and only the name check is off."""
    port = tls_broker.cluster.sasl_ssl_bootstrap_servers.rpartition(":")[2]
    env = {**sasl_ssl_env(tls_broker), "JARING_KAFKA_BOOTSTRAP": f"127.1:{port}",
           "JARING_NAMESPACE": namespace, "JARING_TOPIC_PARTITIONS": "4",
           "JARING_KAFKA_SSL_CHECK_HOSTNAME": "false"}

    unchecked = run_jaring("topics", "create", env=env)
    wrong_ca = run_jaring("topics", "create",
                          env={**env, "JARING_KAFKA_SSL_CAFILE": str(tls_broker.wrong_ca)})

    assert unchecked.returncode == 0, unchecked.stderr
    assert unchecked.stdout.count("created ") == EVERY_TOPIC
    assert wrong_ca.returncode == EXIT_CONFIG and wrong_ca.stderr.startswith("kafka_tls_untrusted: ")
