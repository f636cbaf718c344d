"""The Faust application class and its factory; building it is ``streams.engine``'s job.

Importing this module builds nothing: ``create_app`` makes an app from the
settings it is given (a test builds one without a worker's environment).

Defaults that Faust gets wrong for this system are overridden here:

* the web server binds to loopback (Faust binds every interface), and its
  table, router, graph and stats views are off (Faust serves every table's
  contents at ``/table/...``);
* producers wait for every in-sync replica with idempotence on
  (``streams.repairs.producer``, wired in by ``streams.repairs.app``);
* topics are created with the partitions, replication and
  ``min.insync.replicas`` the operator configured (``streams.topics``);
* a crashed worker's partitions move after seconds, not a minute;
* after table recovery the input partitions are repositioned before they
  are fetched, or a restart can skip records (``streams.repairs.recovery``), and the
  consumer never takes records of a paused partition (``streams.repairs.consumer``).
"""

from __future__ import annotations

from typing import Any

from infra.kafka_security import security_kwargs
from infra.log_throttle import install as throttle_kafka_errors
from infra.settings import Settings
from infra.topic_admin import TopicSpec, ensure_topics
from streams.credentials import broker_credentials
from streams.repairs.app import TABLE_MANAGER, RepairedApp

__all__ = ["JaringApp", "create_app"]


_COMPACTED = {
    "cleanup.policy": "compact",
    "segment.bytes": str(64 * 1024 * 1024),
    "min.cleanable.dirty.ratio": "0.25",
}
"""A table changelog keeps each key's latest value, as Faust's own changelogs do. Kafka compacts only
closed segments (1 GiB by default, whatever the broker says): small segments and a low dirty ratio keep
what a restart reads near the live records, not every record ever written."""


class JaringApp(RepairedApp):
    settings: Settings
    declared: dict[str, TopicSpec]
    """Topics declared by ``streams.topics.declare``, by name."""

    def required_topics(self) -> list[TopicSpec]:
        """The declared topics and every table's changelog (compacted), sorted by name, as configured."""
        changelogs = [
            TopicSpec.configured(self.settings, table.changelog_topic.get_topic_name(), **_COMPACTED)
            for table in self.tables.values()
        ]
        return sorted([*self.declared.values(), *changelogs], key=lambda spec: spec.name)

    async def on_first_start(self) -> None:
        await super().on_first_start()
        # Faust configures logging itself; a filter on aiokafka's loggers outlives that.
        throttle_kafka_errors(self.settings.kafka_log_summary_s)
        # The tables' changelogs too: a worker that joins its group before its
        # changelog exists stops on Faust's PartitionsMismatch at the first event.
        await ensure_topics(self.settings, self.required_topics())


def create_app(settings: Settings) -> JaringApp:
    conf: dict[str, Any] = {
        "broker": [f"kafka://{server.strip()}" for server in settings.kafka_bootstrap.split(",")],
        "broker_credentials": broker_credentials(security_kwargs(settings)),
        "store": settings.store,
        "datadir": settings.data_dir,
        # Outputs are sent outside Faust's transactions (streams.outputs), and
        # correctness rests on ordering and idempotence: see ARCHITECTURE.md.
        "processing_guarantee": "at_least_once",
        "topic_partitions": settings.topic_partitions,
        "topic_replication_factor": settings.replication_factor,
        "topic_allow_declare": True,
        "producer_acks": -1,
        # A few milliseconds of linger turn a produce request per record into
        # one per batch; each request costs the worker a loopback syscall.
        "producer_linger": settings.producer_linger_ms / 1000,
        # The router copies inputs up to this size to the region log (streams.router);
        # Faust's default, 1,000,000, is also this setting's.
        "producer_max_request_size": settings.max_message_bytes,
        "web_host": settings.web_host,
        "web_bind": settings.web_host,
        "web_port": settings.web_port,
        # Faust would serve every table's contents at /table/... and its
        # internals at /router, /graph and /stats; Jaring's own views
        # (streams/views.py) expose only counts and rupiah.
        "web_tables_enabled": False,
        "web_router_enabled": False,
        "web_graph_enabled": False,
        "web_stats_enabled": False,
        "consumer_auto_offset_reset": "earliest",
        # Faust's 60 s default leaves a crashed worker's partitions idle for a
        # minute; heartbeats every 3 s let 10 s detect a death without flapping.
        "broker_session_timeout": settings.session_timeout_s,
        "broker_heartbeat_interval": min(3.0, settings.session_timeout_s / 3),
        # Agents that write tables commit every event they finish; a short
        # interval bounds what a crash replays (and our idempotence drops).
        "broker_commit_interval": 1.0,
        "table_cleanup_interval": 60.0,
        "stream_wait_empty": True,
        # Seek the input partitions before resuming them after recovery;
        # Faust's own order skips records after a restart (streams.repairs.recovery).
        "TableManager": TABLE_MANAGER,
    }
    app = JaringApp(settings.engine_group, **conf)
    app.settings = settings
    app.declared = {}
    return app

