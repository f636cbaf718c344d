"""Creating Jaring's topics: one spec per name, one way to create what is missing.

Brokers run with topic auto-creation off, and whichever process starts first
(a worker, the API, ``jaring topics create``) creates what it needs; the spec
comes from the settings alone, so the topics come out the same whoever made
them, and the others' attempts are no-ops. Faust-free, so the API (which may
not import the stream layer) uses it too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from infra.kafka_security import client_kwargs
from infra.settings import Settings
from models.topics import TOPICS

__all__ = ["TopicCreateError", "TopicSpec", "ensure_topics"]

_TOPIC_ALREADY_EXISTS = 36
_CONFIG = {t.name: dict(t.config) for t in TOPICS}
"""Each topic's own configuration (``models.topics.Topic.config``), by its name under the namespace."""


class TopicCreateError(RuntimeError):
    """The broker refused to create a topic (other than because it exists)."""


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str]

    @classmethod
    def configured(cls, settings: Settings, name: str, **config: str) -> TopicSpec:
        """``name`` (already namespaced) with the configured partitions and replication, and the
        topic's own configuration if it is one of ``models.topics``."""
        own = _CONFIG.get(name.removeprefix(f"{settings.namespace}."), {})
        return cls(
            name=name,
            partitions=settings.topic_partitions,
            replication_factor=settings.replication_factor,
            config={"min.insync.replicas": str(settings.min_insync_replicas), **own, **config},
        )


async def ensure_topics(
    settings: Settings, specs: Iterable[TopicSpec], client_id: str = "jaring-topics"
) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(**client_kwargs(settings), client_id=client_id)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = sorted((spec for spec in specs if spec.name not in existing), key=lambda spec: spec.name)
        if not missing:
            return []
        response = await admin.create_topics(
            [NewTopic(s.name, s.partitions, s.replication_factor, topic_configs=s.config) for s in missing]
        )
        for topic, code, *rest in response.topic_errors:
            if code not in (0, _TOPIC_ALREADY_EXISTS):
                raise TopicCreateError(f"topic_create_failed: {topic}: error {code} {rest}")
        return [spec.name for spec in missing]
    finally:
        await admin.close()
