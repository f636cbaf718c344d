"""Every topic the engine needs, created up front: ``jaring topics create``.

Workers create their declared topics at start, but on a real cluster topic
creation is often an operator's right, not a worker's, and the tables'
changelogs (which Faust would create at first use) must match their source
topics' partitions. So one command creates the lot, with the configured
partitions, replication and ``min.insync.replicas``, and refuses to call a
namespace ready when an existing topic has another partition count: a
region's log, state and outputs would no longer line up.
"""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient

from infra.kafka_security import client_kwargs
from infra.topic_admin import TopicSpec, ensure_topics
from streams.engine import app, settings

__all__ = ["TopicMismatchError", "create_all", "required"]


class TopicMismatchError(RuntimeError):
    """An existing topic's partition count differs from the configured one."""


def required() -> list[TopicSpec]:
    """The declared topics and every table's changelog (compacted), sorted by name, as configured."""
    return app.required_topics()


async def create_all() -> list[str]:
    """Create what is missing; return the names created. Raise if an existing topic does not fit."""
    specs = required()
    created = await ensure_topics(settings, specs)
    admin = AIOKafkaAdminClient(**client_kwargs(settings), client_id="jaring-topics")
    await admin.start()
    try:
        described = await admin.describe_topics([spec.name for spec in specs])
    finally:
        await admin.close()
    partitions = {t["topic"]: len(t["partitions"]) for t in described}
    wrong = [f"{s.name} has {partitions.get(s.name, 0)}" for s in specs
             if partitions.get(s.name) != s.partitions]
    if wrong:
        raise TopicMismatchError(
            f"topic_partitions_mismatch: JARING_TOPIC_PARTITIONS={settings.topic_partitions} but "
            + "; ".join(wrong) + ". Use a new JARING_NAMESPACE, or recreate the topics."
        )
    return created
