"""The broker goes away: POSTs answer 503 with Retry-After, no 202 is ever lost, and the logs stay short.

Runs its own one-node broker, since stopping the shared session broker would
break every other test.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from deploy.kafka.runner import KafkaCluster, free_port
from infra.settings import Settings
from infra.topic_io import read_until
from jaring.processes import ServiceProcess, WorkerProcess
from models.codec import decode
from models.topics import PLEDGES
from tests.integration.api.conftest import ApiFactory, Keys, auth, wait_ready
from tests.integration.api.test_pledges_over_http import pledge_body

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[KafkaCluster]:
    with KafkaCluster(size=1, workdir=tmp_path / "kafka") as cluster:
        yield cluster


async def post(client: httpx.AsyncClient, keys: Keys, key: str, amount: int) -> httpx.Response:
    return await client.post(
        "/v1/pledges", json=pledge_body(amount_idr=amount), headers=auth(keys.sponsor_a, key)
    )


async def test_a_stopped_broker_gives_503_and_the_topic_holds_exactly_the_acknowledged_pledges(
    own_broker: KafkaCluster, api_factory: ApiFactory, keys: Keys
) -> None:
    settings = Settings(kafka_bootstrap=own_broker.bootstrap_servers, namespace="outage", topic_partitions=2)
    api = api_factory(settings, api_produce_timeout_s=2.0)
    accepted: list[str] = []
    async with api.client() as client:
        # A broker just started may still be electing its new topics' leaders: the API answers 503
        # until then, and a client retries with the same key, as this one does.
        before = await post(client, keys, "before", 201_600)
        timed_out_first = before.status_code == 503
        deadline = time.monotonic() + 60
        while before.status_code == 503 and time.monotonic() < deadline:
            await asyncio.sleep(float(before.headers.get("retry-after", "1")))
            before = await post(client, keys, "before", 201_600)
        assert before.status_code == 202
        accepted.append(before.json()["event_id"])

        own_broker.stop_node(1)
        # The answer comes, and it is a 503 (a POST hanging on the broker would end in the
        # client's 30 s timeout instead, and fail here).
        during = await post(client, keys, "during", 403_200)
        assert (during.status_code, during.json()["code"]) == (503, "kafka_unavailable")
        assert int(during.headers["retry-after"]) > 0
        assert (await client.get("/readyz")).status_code == 503

        own_broker.restart_node(1)
        await asyncio.to_thread(wait_ready, api.url, 60.0)
        retried = await post(client, keys, "during", 403_200)  # the client's retry, same key
        assert retried.status_code == 202
        accepted.append(retried.json()["event_id"])
        after = await post(client, keys, str(uuid.uuid4()), 604_800)
        assert after.status_code == 202
        accepted.append(after.json()["event_id"])

    # Once the API has stopped, its producer can deliver nothing more: the topic read to its
    # end is then all it will ever hold from this API.
    await asyncio.to_thread(api.stop)
    records = await read_until(settings.kafka_bootstrap, [settings.topic(PLEDGES.name)], lambda _: True)
    on_topic = Counter(decode(r.value).event_id for r in records)
    assert set(on_topic) == set(accepted)
    # The pledge sent while the broker was down was dropped, not queued: only its retry is there.
    assert on_topic[accepted[1]] == on_topic[accepted[2]] == 1
    # A 503 for a slow acknowledgement is ambiguous (README, API: the broker may have written it
    # after all), and the retry is then the same event, which consumers drop as a repeat. A broker
    # electing leaders under load answered the first "before" that way once.
    assert on_topic[accepted[0]] == 1 or (timed_out_first and on_topic[accepted[0]] == 2)


# --------------------------------------------------------------- logs during an outage

SUMMARY_S = 2
"""JARING_KAFKA_LOG_SUMMARY_S for the processes below: short, so the test sees several periods."""

FLOOD = 100
"""Loud lines that only a log writing one line per retry reaches in this test (a throttled one
writes about ten); seeing them ends the wait at once."""

_LEVEL = re.compile(r"(?:\] \[|\d ) ?(WARNING|WARN|ERROR|CRITICAL)[\] ]")
"""A WARNING-or-worse line in either format: the API's and dashboard's ``... ERROR name: msg``,
or Faust's ``[time] [pid] [ERROR] msg``."""


@dataclass
class LogTail:
    """What a process logged after a mark: its warning-or-worse lines and the throttle's lines."""

    path: Path
    mark: int = 0

    def set_mark(self) -> None:
        self.mark = self.path.stat().st_size

    def lines(self) -> list[str]:
        return self.path.read_bytes()[self.mark:].decode(errors="replace").splitlines()

    def loud(self) -> list[str]:
        return [line for line in self.lines() if _LEVEL.search(line)]

    def count(self, code: str) -> int:
        return sum(f"{code}:" in line for line in self.lines())

    def summarised(self) -> int:
        counts = (re.search(r"kafka_errors_repeated: (\d+) ", line) for line in self.lines())
        return sum(int(m.group(1)) for m in counts if m)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"never happened within {timeout:.0f} s: {what}")
        time.sleep(0.2)


def test_an_outage_logs_state_changes_and_summaries_not_one_line_per_retry(
    own_broker: KafkaCluster, keys: Keys, tmp_path: Path
) -> None:
    """The API, the worker and the dashboard, each its own process, through a broker outage.

    aiokafka retries every few milliseconds while the broker is away (about 80 errors a second
    in each process here, 16,000 to 29,000 lines in 7 minutes before the throttle). With it,
    each process logs "Kafka unreachable", the first error, one summary per period and
    "Kafka reachable again": a count that grows with the periods, not with the retries.
    """
    env = {
        "JARING_KAFKA_BOOTSTRAP": own_broker.bootstrap_servers,
        "JARING_NAMESPACE": "outage-logs",
        "JARING_TOPIC_PARTITIONS": "2",
        "JARING_KAFKA_LOG_SUMMARY_S": str(SUMMARY_S),
    }
    api_port, dashboard_port = free_port(), free_port()
    api = ServiceProcess(
        ["api"], env={**env, "JARING_API_PORT": str(api_port), "JARING_API_KEYS_FILE": str(keys.file)},
        log_path=tmp_path / "api.log", ready_url=f"http://127.0.0.1:{api_port}/readyz",
    )
    dashboard = ServiceProcess(
        ["dashboard"], env={**env, "JARING_DASHBOARD_PORT": str(dashboard_port)},
        log_path=tmp_path / "dashboard.log", ready_url=f"http://127.0.0.1:{dashboard_port}/healthz",
    )
    worker = WorkerProcess(
        env={**env, "JARING_WEB_PORT": str(free_port()), "JARING_DATA_DIR": str(tmp_path / "data")},
        log_path=tmp_path / "worker.log",
    )
    processes: list[ServiceProcess | WorkerProcess] = [worker, api, dashboard]
    try:
        for process in processes:
            process.start()
        tails = [LogTail(p.log_path) for p in processes]
        # A worker joining its group may log a few errors of its own (no coordinator yet): let
        # that episode end before the outage starts, so the outage's lines are the outage's.
        wait_for(lambda: all(t.count("kafka_unreachable") == t.count("kafka_reachable_again")
                             for t in tails), "every start-up episode over")
        for tail in tails:
            tail.set_mark()

        def flooded() -> list[str]:
            return [t.path.name for t in tails if len(t.loud()) > FLOOD]

        own_broker.stop_node(1)
        wait_for(lambda: bool(flooded()) or all(t.count("kafka_errors_repeated") >= 3 for t in tails),
                 "three summaries from every process while the broker is down")
        assert not flooded(), f"one line per retry: over {FLOOD} warnings and errors in {flooded()}"
        own_broker.restart_node(1)
        wait_for(lambda: all(t.count("kafka_reachable_again") >= 1 for t in tails),
                 "'Kafka reachable again' from every process once the broker is back")
        assert all(p.running for p in processes), "a process died during the outage"
    finally:
        for process in processes:
            process.stop()

    for tail in tails:
        starts, ends = tail.count("kafka_unreachable"), tail.count("kafka_reachable_again")
        summaries = tail.count("kafka_errors_repeated")
        loud = tail.loud()
        # Each episode: its announcement, its first error, its summaries, its end; a broker that
        # comes back slowly may split the outage into two episodes, never into hundreds.
        throttle_lines = 2 * starts + summaries + ends
        others = len(loud) - throttle_lines
        assert 1 <= starts <= 2 and ends >= 1, (tail.path.name, starts, ends)
        assert 0 <= others <= 5, (tail.path.name, loud[:20])
        # The retries happened (so an unthrottled log would have been long) and were counted.
        assert tail.summarised() >= 10 * len(loud), (tail.path.name, tail.summarised(), len(loud))
