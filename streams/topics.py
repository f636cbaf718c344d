"""Declared topics, created before the worker consumes, with explicit partitions and replication.

Brokers run with topic auto-creation off: a topic that a producer creates by
accident gets the broker's default partition count, and a table's changelog
must have exactly its source topic's partitions (co-partitioning). Faust
itself creates an "internal" topic only once a consumer subscribes to it, so
an output-only topic would never be made; every topic Jaring reads or
writes is therefore declared here and created by :func:`ensure_topics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from jaring.kafka_security import client_kwargs
from jaring.settings import Settings
from streams.app import app, settings

__all__ = ["TopicSpec", "declare", "declared", "ensure_topics"]

_TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str]


_declared: dict[str, TopicSpec] = {}


def declare(name: str, *, value_type: Any = None, key_type: Any = str, raw: bool = False) -> faust.TopicT:
    """Declare ``<namespace>.<name>`` with the configured partitions and replication.

    ``raw`` topics hand agents the exact bytes: decoding is ours (``models.codec``),
    so a record that does not decode can be dead-lettered byte for byte.
    """
    spec = TopicSpec(
        name=settings.topic(name),
        partitions=settings.topic_partitions,
        replication_factor=settings.replication_factor,
        config={"min.insync.replicas": str(settings.min_insync_replicas)},
    )
    _declared[spec.name] = spec
    serializers: dict[str, Any] = (
        {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}
        if raw
        else {"key_type": key_type, "value_type": value_type}
    )
    return app.topic(
        spec.name,
        **serializers,
        partitions=spec.partitions,
        replicas=spec.replication_factor,
        config=spec.config,
    )


def declared() -> list[TopicSpec]:
    return sorted(_declared.values(), key=lambda spec: spec.name)


async def ensure_topics(settings: Settings, specs: list[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(**client_kwargs(settings), client_id="jaring-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [
                NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=s.config)
                for s in missing
            ]
        )
        for topic, code, *rest in response.topic_errors:
            if code not in (0, _TOPIC_ALREADY_EXISTS):
                raise RuntimeError(f"topic_create_failed: {topic}: error {code} {rest}")
        return [spec.name for spec in missing]
    finally:
        await admin.close()
