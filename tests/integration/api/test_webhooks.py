"""Webhooks end to end: `jaring api` registers, `jaring webhooks` delivers, a real receiver process checks.

The engine's events are the pure core's own outputs for real pledges
(``RegionMatcher``), written to the real output topics with the engine's keys:
what is under test is the delivery process, which only reads those topics.
The receiver (``webhook_receiver.py``) verifies signatures with its own code
and drops repeats by event id, as the README tells a sponsor to.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from deploy.kafka.runner import free_port
from deploy.parent_death import die_with_parent
from infra.settings import Settings
from jaring.processes import ServiceProcess
from models.codec import encode
from models.events import Event
from models.matcher import RegionMatcher
from models.topics import route
from models.webhooks.rules import DELIVERED
from tests.integration.api.conftest import ApiProcessFactory, Keys, auth
from tests.unit.factories import KEY, REGION, application, confirm_all, pledge

RECEIVER = Path(__file__).with_name("webhook_receiver.py")
SPONSOR = "dealer-kendari"  # sponsor_a's key
DELIVERED_NAMES = {t.name for t in DELIVERED}


def outputs_of_pledges(m: RegionMatcher, *pledges: Any, confirm: bool = True) -> list[Event]:
    """The engine's outputs on the delivered topics for these pledges (and their workers' activations)."""
    out: list[Event] = []
    for p in pledges:
        out.extend(m.handle(p).outputs)
    if confirm:
        for answer in confirm_all(m):
            out.extend(m.handle(answer).outputs)
    return [e for e in out if route(e)[0] in DELIVERED_NAMES]


async def publish(settings: Settings, events: list[Event]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for e in events:
            topic, key = route(e)
            await producer.send_and_wait(settings.topic(topic), encode(e), key=key)
    finally:
        await producer.stop()


class Receiver:
    """The receiver process: started, killed and started again on the same port."""

    def __init__(self, port: int, secret: str, log: Path) -> None:
        self.port, self.secret, self.log = port, secret, log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self, *flags: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(RECEIVER), "--port", str(self.port), "--secret", self.secret,
             "--log", str(self.log), *flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent(),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise TimeoutError("receiver_not_listening")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def lines(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def delivered(self) -> list[dict[str, Any]]:
        return [x for x in self.lines() if x["answer"] == 200]


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Callable[[str], Receiver]]:
    made: list[Receiver] = []

    def make(secret: str) -> Receiver:
        r = Receiver(free_port(), secret, tmp_path / "received.jsonl")
        made.append(r)
        return r

    yield make
    for r in made:
        r.kill()


async def until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


def webhooks_process(settings: Settings, tmp_path: Path, name: str, **env: str) -> ServiceProcess:
    port = free_port()
    return ServiceProcess(
        ["webhooks"],
        env={
            "JARING_KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "JARING_NAMESPACE": settings.namespace,
            "JARING_TOPIC_PARTITIONS": str(settings.topic_partitions), "JARING_WEBHOOK_PORT": str(port),
            "JARING_WEBHOOK_ALLOW_PRIVATE_HOSTS": "true", "JARING_WEBHOOK_TIMEOUT_S": "1",
            "JARING_WEBHOOK_RETRY_FIRST_S": "0.2", "JARING_WEBHOOK_RETRY_MAX_S": "0.5", **env,
        },
        log_path=tmp_path / f"{name}.log", ready_url=f"http://127.0.0.1:{port}/healthz",
    )


async def test_a_sponsor_receives_its_events_signed_retried_in_order_and_replayed(
    settings: Settings, keys: Keys, api_process_factory: ApiProcessFactory,
    receiver: Callable[[str], Receiver], tmp_path: Path,
) -> None:
    api = api_process_factory(JARING_WEBHOOK_ALLOW_PRIVATE_HOSTS="true")
    base = api.ready_url.removesuffix("/readyz")
    m = RegionMatcher(REGION, KEY)
    for _ in range(6):  # one worker for each one-seat pledge below, two for p1
        m.handle(application())
    before = datetime.now(UTC)
    earlier = outputs_of_pledges(m, pledge(pledge_id="p0", amount_idr=16_800 * 12))
    await publish(settings, earlier)  # written before the endpoint exists: delivered by a replay only

    refused = httpx.put(f"{base}/v1/webhook", json={"url": "https://user:pw@csr.example.org/hook"},
                        headers=auth(keys.sponsor_a, "w0"))
    assert (refused.status_code, refused.json().get("code")) == (422, "invalid_body"), refused.text
    r = receiver("")
    registered = httpx.put(f"{base}/v1/webhook", json={"url": r.url}, headers=auth(keys.sponsor_a, "w1"))
    assert registered.status_code == 202, registered.text
    r.secret = registered.json()["secret"]
    again = httpx.put(f"{base}/v1/webhook", json={"url": r.url}, headers=auth(keys.sponsor_a, "w1"))
    assert again.json()["secret"] == r.secret  # a retried registration does not rotate the secret
    r.start("--slow-first", "1", "--slow-s", "2.5")  # its first answer comes after the 1 s timeout

    hooks = webhooks_process(settings, tmp_path, "webhooks-1", JARING_WEBHOOK_RETRY_FOR_S="300")
    try:
        hooks.start()
        # -- only this sponsor's events, signed, each topic in order; the timed-out attempt repeated
        ours = outputs_of_pledges(m, pledge(pledge_id="p1", amount_idr=2 * 16_800 * 12))
        other = pledge(pledge_id="b1", sponsor_id="bank-sultra", payer_id="bank-sultra", amount_idr=201_600)
        theirs = outputs_of_pledges(m, other)
        await publish(settings, ours + theirs + ours[:1])  # the last: an output repeated after a crash
        wanted = [e.event_id for e in ours]
        await until(lambda: {x["event_id"] for x in r.delivered()} >= set(wanted)
                    and any(x["n"] == 1 for x in r.lines()), "first deliveries (and the slow first answer)")
        lines = r.lines()
        assert all(x["valid"] for x in lines), lines
        assert {x["event_id"] for x in lines} == set(wanted)  # nothing of the other sponsor's, nor of p0
        first = next(x for x in lines if x["n"] == 1)
        assert first["answer"] == 200 and not first["duplicate"]  # answered, but after the timeout
        assert any(x["event_id"] == first["event_id"] and x["duplicate"] and x["attempt"] == 2 for x in lines)
        for topic in DELIVERED_NAMES:
            sent = [e.event_id for e in ours if route(e)[0] == topic]
            got = list(dict.fromkeys(x["event_id"] for x in r.delivered() if x["event_id"] in sent))
            assert got == sent, topic

        # -- the receiver down, then up: retried until it answers
        r.kill()
        later = outputs_of_pledges(m, pledge(pledge_id="p2", amount_idr=16_800 * 12))
        await publish(settings, later)
        await until(lambda: any(a["error"] == "connection_failed" for a in _attempts(base, keys)),
                    "a failed attempt in the delivery log")
        r.start()
        await until(lambda: {x["event_id"] for x in r.delivered()} >= {e.event_id for e in later},
                    "deliveries after the receiver came back")
    finally:
        hooks.stop()

    # -- restarted with a short retry window, the receiver down past it: parked, then replayed on request
    hooks = webhooks_process(settings, tmp_path, "webhooks-2", JARING_WEBHOOK_RETRY_FOR_S="2")
    try:
        hooks.start()
        r.kill()
        parked = outputs_of_pledges(m, pledge(pledge_id="p3", amount_idr=16_800 * 12), confirm=False)[:1]
        await publish(settings, parked)
        await until(lambda: _webhook(base, keys)["parked_now"] >= 1, "a parked delivery")
        r.start()
        asked = httpx.post(f"{base}/v1/webhook/replays", json={"parked": True},
                           headers=auth(keys.sponsor_a, "replay-1"))
        assert asked.status_code == 202, asked.text
        request_id = asked.json()["request_id"]
        await until(lambda: any(x["replay"] == request_id for x in r.delivered()), "the parked replay")
        assert {x["event_id"] for x in r.delivered() if x["replay"] == request_id} == {parked[0].event_id}
        await until(lambda: _webhook(base, keys)["parked_now"] == 0, "nothing parked after the replay")

        # -- a time range: the events written before the endpoint existed, delivered now
        since = httpx.post(f"{base}/v1/webhook/replays", json={"since": before.isoformat()},
                           headers=auth(keys.sponsor_a, "replay-2"))
        range_id = since.json()["request_id"]
        await until(lambda: {x["event_id"] for x in r.delivered() if x["replay"] == range_id}
                    >= {e.event_id for e in earlier}, "the time-range replay")
        assert httpx.get(f"{base}/v1/webhook", headers=auth(keys.sponsor_b)).status_code == 404
    finally:
        hooks.stop()


def _attempts(base: str, keys: Keys) -> list[dict[str, Any]]:
    answer = httpx.get(f"{base}/v1/webhook/deliveries?limit=200", headers=auth(keys.sponsor_a))
    return list(answer.json()["attempts"])


def _webhook(base: str, keys: Keys) -> dict[str, Any]:
    return dict(httpx.get(f"{base}/v1/webhook", headers=auth(keys.sponsor_a)).json())
