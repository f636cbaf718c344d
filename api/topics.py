"""The topics the API writes and reads, created when missing.

The API may start before any worker has created the namespace's topics, and
brokers run with topic auto-creation off, so it creates what it needs with
the same partitions, replication and ``min.insync.replicas`` the worker
declares (``streams/topics.py``): whichever process comes first, the topics
come out the same, and the other's attempt is a no-op.
"""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from jaring.kafka_security import client_kwargs
from jaring.settings import Settings

__all__ = ["INPUTS", "OUTPUTS", "TopicCreateError", "ensure_topics"]

INPUTS = ("pledges.v1", "applications.v1")
"""What the API produces."""
OUTPUTS = ("pledge-status.v1", "funding.v1", "coverage.v1")
"""What the API's read model consumes, besides the pledges it and others submitted."""

_TOPIC_ALREADY_EXISTS = 36


class TopicCreateError(RuntimeError):
    pass


async def ensure_topics(settings: Settings, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(**client_kwargs(settings), client_id="jaring-api-admin")
    await admin.start()
    try:
        missing = sorted(set(names) - set(await admin.list_topics()))
        if not missing:
            return
        config = {"min.insync.replicas": str(settings.min_insync_replicas)}
        response = await admin.create_topics(
            [NewTopic(n, settings.topic_partitions, settings.replication_factor, topic_configs=config)
             for n in missing]
        )
        for topic, code, *rest in response.topic_errors:
            if code not in (0, _TOPIC_ALREADY_EXISTS):
                raise TopicCreateError(f"topic_create_failed: {topic}: error {code} {rest}")
    finally:
        await admin.close()
