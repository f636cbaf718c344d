"""The broker goes away: POSTs answer 503 with Retry-After, and no 202 is ever lost.

Runs its own one-node broker, since stopping the shared session broker would
break every other test.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deploy.kafka.runner import KafkaCluster
from jaring.settings import Settings
from jaring.topic_io import read_until
from models.codec import decode
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
        before = await post(client, keys, "before", 201_600)
        assert before.status_code == 202
        accepted.append(before.json()["event_id"])

        own_broker.stop_node(1)
        started = time.monotonic()
        during = await post(client, keys, "during", 403_200)
        assert time.monotonic() - started < 10
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

    records = await read_until(
        settings.kafka_bootstrap,
        [settings.topic("pledges.v1")],
        lambda rs: len(rs) >= len(accepted),
        timeout=20,
    )
    await asyncio.sleep(1)  # anything the broker received late would show up in a second read
    records = await read_until(settings.kafka_bootstrap, [settings.topic("pledges.v1")], lambda _: True)
    assert sorted(decode(r.value).event_id for r in records) == sorted(accepted)
