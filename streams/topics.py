"""Declared topics, created before the worker consumes, with explicit partitions and replication.

Brokers run with topic auto-creation off: a topic that a producer creates by
accident gets the broker's default partition count, and a table's changelog
must have exactly its source topic's partitions (co-partitioning). Faust
itself creates an "internal" topic only once a consumer subscribes to it, so
an output-only topic would never be made; every topic Jaring reads or
writes is therefore declared here and created by ``infra.topic_admin.ensure_topics``.
"""

from __future__ import annotations

from typing import Any

import faust

from infra.topic_admin import TopicSpec
from streams.engine import app, settings

__all__ = ["declare", "declared"]

def declare(name: str, *, value_type: Any = None, key_type: Any = str, raw: bool = False) -> faust.TopicT:
    """Declare ``<namespace>.<name>`` with the configured partitions and replication.

    ``raw`` topics hand agents the exact bytes: decoding is ours (``models.codec``),
    so a record that does not decode can be dead-lettered byte for byte.
    """
    spec = TopicSpec.configured(settings, settings.topic(name))
    app.declared[spec.name] = spec
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
    return sorted(app.declared.values(), key=lambda spec: spec.name)
