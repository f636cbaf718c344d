"""Tripwires: the upstream code each repair copies, overrides or reaches into, pinned by hash.

A repair is written against one version of Faust, mode or aiokafka, and an
upgrade that changes what it copied, overrode or calls into can make it
wrong without any test failing: a copied method silently loses the
upstream fix, an override stops being called, a private attribute means
something else. Each ``Pin`` records the SHA-256 of ``inspect.getsource``
of one upstream object, the version it was recorded at, the repair that
depends on it and how to re-check that repair. ``tests/unit/streams/repairs/test_upstream.py``
fails, naming the repair, as soon as an installed source differs.

After re-checking a repair against the new upstream code, print the hashes
to record (and the versions they belong to) with::

    python -m streams.repairs.upstream

This module reads upstream sources by name (``importlib``); it runs in
tests and by hand, never in a worker.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import sys
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from mode.services import ServiceTask

__all__ = ["PINS", "RECORDED", "Pin", "drift", "installed", "source_of"]

DISTRIBUTIONS = {"faust": "faust-streaming", "mode": "mode-streaming", "aiokafka": "aiokafka"}
"""The distribution that ships each top-level package, for the version a pin was recorded at."""


@dataclass(frozen=True)
class Pin:
    target: str
    """``module:Qualified.name`` of a function, method, property or class, defined there (not inherited)."""
    repair: str
    """The module of ``streams/repairs/`` that depends on it."""
    recheck: str
    """What to compare and which tests to run when it changed."""

    @property
    def distribution(self) -> str:
        return DISTRIBUTIONS[self.target.split(":", 1)[0].split(".", 1)[0]]

    @property
    def recorded(self) -> tuple[str, str]:
        """``(sha256, version)`` as recorded in ``RECORDED``; ``("unrecorded", "")`` for a new pin."""
        return RECORDED.get(self.target, ("unrecorded", ""))


def _resolve(target: str) -> Any:
    module_name, _, qualname = target.partition(":")
    found: Any = importlib.import_module(module_name)
    for name in qualname.split("."):
        if not hasattr(found, "__dict__") or name not in vars(found):
            raise LookupError(f"{target}: {name!r} is no longer defined there")
        found = vars(found)[name]
    if isinstance(found, property):
        return found.fget
    if isinstance(found, staticmethod | classmethod):
        return found.__func__
    if isinstance(found, ServiceTask):  # a @Service.task method: the function it runs
        return found.fun
    return found


def source_of(target: str) -> str:
    """The installed source of ``target``, as ``inspect`` reads it."""
    return inspect.getsource(_resolve(target))


def installed(pin: Pin) -> tuple[str, str]:
    """``(sha256, version)`` of the installed source; the hash is ``missing`` if the target is gone."""
    try:
        digest = hashlib.sha256(source_of(pin.target).encode()).hexdigest()
    except (LookupError, ImportError, OSError, TypeError):
        digest = "missing"
    return digest, version(pin.distribution)


def drift(pin: Pin) -> str | None:
    """None while the installed source is the recorded one; else what changed and what to do."""
    digest, now = installed(pin)
    recorded, at = pin.recorded
    if digest == recorded:
        return None
    return (
        f"upstream_changed: {pin.target} is not the source {pin.repair} was written against "
        f"(recorded at {pin.distribution} {at} as sha256 {recorded[:12]}; installed "
        f"{pin.distribution} {now} has {digest[:12]}). Re-check {pin.repair}: {pin.recheck} "
        f"Then record the new hash: python -m streams.repairs.upstream"
    )


_RECOVERY_TESTS = "Run tests/unit/streams/repairs/test_recovery.py and tests/integration/test_input_gap.py."
_RESTORE_TESTS = ("Run tests/integration/test_bulk_restore.py, tests/integration/test_worker_pipeline.py and "
                  "tests/integration/test_worker_faults.py.")
_CONSUMER_TESTS = "Run tests/unit/streams/repairs/test_consumer.py and tests/integration/test_input_gap.py."
_DELIVERY_TESTS = (
    "Run tests/unit/streams/repairs/test_delivery.py; benchmarks/worker_profile.py shows"
    " whether it still pays."
)
_PRODUCER_TESTS = (
    "Run tests/unit/streams/repairs/test_producer.py and tests/integration/test_worker_faults.py."
)
_CHANGELOG_TESTS = ("Run tests/integration/test_batched_send.py, tests/integration/test_worker_faults.py "
                    "and tests/chaos/.")
_SENSOR_TESTS = "Run tests/unit/streams/repairs/test_sensor.py and tests/integration/test_observability.py."
_SKIPPED_HOOK = ("LeanPrometheusMonitor makes this per-message hook a no-op; check that what it now "
                 "records is still something Jaring counts itself (streams.metrics) or does not need. "
                 + _SENSOR_TESTS)
_ABORT_TESTS = "Run tests/integration/test_producer_abort.py and tests/integration/api/test_kafka_outage.py."

PINS: tuple[Pin, ...] = (
    # app.py: the repaired transport and producer wired into the app.
    Pin("faust.app.base:App._new_transport", "streams/repairs/app.py",
        "RepairedApp._new_transport builds RepairedTransport where this builds the broker URL's transport "
        "class; keep the arguments the same, and if a setting now chooses the transport class, use it and "
        "delete the override. " + _CONSUMER_TESTS),
    Pin("faust.app.base:App._new_producer", "streams/repairs/app.py",
        "It builds the producer from the transport's Producer class (RepairedTransport.Producer is "
        "DurableProducer); check it still does. " + _PRODUCER_TESTS),
    Pin("faust.transport.base:Transport.create_producer", "streams/repairs/app.py",
        "App._new_producer calls it; check it still instantiates the transport's Producer class. "
        + _PRODUCER_TESTS),
    # recovery.py: seek the input partitions before resuming them.
    Pin("faust.tables.recovery:Recovery.on_recovery_completed", "streams/repairs/recovery.py",
        "SeekFirstRecovery.on_recovery_completed is a copy of this method with perform_seek moved before "
        "resume_partitions. Diff the two and port every upstream change but that order; if upstream now "
        "seeks while the partitions are paused, delete the repair. " + _RECOVERY_TESTS),
    Pin("faust.tables.manager:TableManager.recovery", "streams/repairs/recovery.py",
        "SeekFirstTableManager.recovery builds SeekFirstRecovery exactly as this property builds Recovery; "
        "keep the arguments the same. " + _RECOVERY_TESTS),
    # recovery.py with restore.py: the active changelog partitions read in bulk before Faust's recovery.
    Pin("faust.tables.recovery:Recovery._build_offsets", "streams/repairs/recovery.py",
        "SeekFirstRecovery._build_offsets calls this, then reads each active partition from the offset it "
        "left in active_offsets (the last read, -1 for none) to active_highwaters and moves it to the last "
        "record applied; check both keep that meaning. " + _RESTORE_TESTS),
    Pin("faust.tables.recovery:Recovery._restart_recovery", "streams/repairs/recovery.py",
        "The bulk read relies on this order: highwaters, then _build_offsets(..., 'active') under _wait "
        "(the bulk read runs in that _wait, after the step), then _seek_offsets and need_recovery(). "
        "Check the order and the call's arguments. "
        + _RESTORE_TESTS),
    Pin("faust.tables.recovery:Recovery._wait", "streams/repairs/recovery.py",
        "A step that outlives its timeout ends recovery (ServiceStopped): SeekFirstRecovery._wait runs "
        "the bulk read as a step of its own without that timeout; check a rebalance still raises "
        "RebalanceAgain and a stop ServiceStopped. " + _RESTORE_TESTS),
    Pin("faust.tables.recovery:Recovery._slurp_changelogs", "streams/repairs/recovery.py",
        "Faust's own path applies only records past active_offsets[tp], so it reads just what the bulk read "
        "left; check it still skips offsets at or below it. " + _RESTORE_TESTS),
    Pin("faust.tables.recovery:Recovery.on_rebalance", "streams/repairs/recovery.py",
        "It drops the offsets of revoked partitions, keeps the others' and only then sets "
        "signal_recovery_start, with no await between: the bulk read checks that signal (and the "
        "generation) before each apply, so it never applies a revoked partition. " + _RESTORE_TESTS),
    Pin("faust.tables.recovery:Recovery.active_remaining", "streams/repairs/recovery.py",
        "need_recovery() is false once active_offsets reach active_highwaters, which is how Faust skips "
        "reading what the bulk read applied. " + _RESTORE_TESTS),
    Pin("faust.transport.drivers.aiokafka:AIOKafkaConsumerThread._create_client_consumer",
        "streams/repairs/recovery.py",
        "The bulk reader connects as this groupless consumer does (servers, client id, request timeout, "
        "CRC check, credentials); port any new connection argument. " + _RESTORE_TESTS),
    Pin("faust.transport.drivers.aiokafka:credentials_to_aiokafka_auth", "streams/repairs/recovery.py",
        "The bulk reader's TLS and SASL arguments come from it, as the worker's consumer's do. "
        + _RESTORE_TESTS),
    Pin("faust.transport.drivers.aiokafka:server_list", "streams/repairs/recovery.py",
        "The bulk reader's bootstrap servers come from it, as the worker's consumer's do. " + _RESTORE_TESTS),
    Pin("faust.serializers.schemas:Schema.compile", "streams/repairs/restore.py",
        "_Decoder decodes a changelog record as the decode function compiled here does (loads_key, then "
        "None for an empty value when allow_empty, else loads_value); port any change. " + _RESTORE_TESTS),
    Pin("faust.stores.memory:Store.apply_changelog_batch", "streams/repairs/restore.py",
        "The bulk read hands it light events; check it still reads only event.key, event.value and "
        "event.message.value (a tombstone deletes) and keeps _key_partition. " + _RESTORE_TESTS),
    Pin("faust.stores.memory:Store._create_batch_iterator", "streams/repairs/restore.py",
        "It reads event.key, event.value, event.message.value and event.message.partition of the light "
        "events (restore._Event, restore._Message); check it reads nothing else. " + _RESTORE_TESTS),
    Pin("faust.stores.memory:Store.on_recovery_completed", "streams/repairs/restore.py",
        "It drops keys of partitions no longer active by _key_partition, which the bulk read fills through "
        "apply_changelog_batch. " + _RESTORE_TESTS),
    # consumer.py: no records of paused partitions; the configured fetch wait.
    Pin("faust.transport.drivers.aiokafka:Consumer._new_consumer_thread", "streams/repairs/consumer.py",
        "_ActiveOnlyConsumer._new_consumer_thread builds _ActiveOnlyThread with the same arguments as this "
        "builds AIOKafkaConsumerThread; keep them the same. " + _CONSUMER_TESTS),
    Pin("faust.transport.drivers.aiokafka:AIOKafkaConsumerThread._create_worker_consumer",
        "streams/repairs/consumer.py",
        "The override sets the built consumer's _fetch_max_wait_ms (this method hard-codes 1500 ms). If a "
        "setting now feeds fetch_max_wait_ms, pass JARING_FETCH_MAX_WAIT_MS through it and delete the "
        "override. " + _CONSUMER_TESTS),
    Pin("faust.transport.drivers.aiokafka:AIOKafkaConsumerThread._fetch_records",
        "streams/repairs/consumer.py",
        "The override asks for nothing when no partition is active and passes a snapshot of the set. If this "
        "method now guards an empty set itself, delete the override. " + _CONSUMER_TESTS),
    Pin("aiokafka.consumer.fetcher:Fetcher.fetched_records", "streams/repairs/consumer.py",
        "An empty partition set here means every partition: the reason for the empty-set guard in "
        "_ActiveOnlyThread._fetch_records. Check whether it still does. " + _CONSUMER_TESTS),
    Pin("aiokafka.consumer.consumer:AIOKafkaConsumer.start", "streams/repairs/consumer.py",
        "_ActiveOnlyThread sets _fetch_max_wait_ms before start(), which builds the Fetcher from it; check "
        "the Fetcher is still built here from that attribute. " + _CONSUMER_TESTS),
    # delivery.py (through consumer.py): a record delivered without four tasks when nothing waits.
    Pin("mode.services:Service.wait_first", "streams/repairs/delivery.py",
        "_ActiveOnlyConsumer.wait_first runs the delivery's first step in place and otherwise calls this; "
        "check it still waits on the coroutines given plus the stopped and crashed flags and returns "
        "WaitResults(done, results, stopped). " + _DELIVERY_TESTS),
    Pin("faust.transport.consumer:Consumer._drain_messages", "streams/repairs/delivery.py",
        "_ActiveOnlyConsumer._is_delivery recognises this method's wait_first(callback(message), "
        "self.suspend_flow.wait()); if the call changed shape the fast path silently stops applying. "
        + _DELIVERY_TESTS),
    # producer.py: durable by default; flush means flushed; batches per partition.
    Pin("faust.transport.drivers.aiokafka:Producer._settings_extra", "streams/repairs/producer.py",
        "DurableProducer turns idempotence on (and acks=all) outside transactions too; if this now does so "
        "under at_least_once, delete the override. " + _PRODUCER_TESTS),
    Pin("faust.transport.drivers.aiokafka:Producer.flush", "streams/repairs/producer.py",
        "DurableProducer.flush calls this, then waits for every delivery tracked before the call; check it "
        "still flushes Faust's buffer and aiokafka's producer. " + _PRODUCER_TESTS),
    Pin("faust.transport.producer:ProducerBuffer.flush_atmost", "streams/repairs/producer.py",
        "It gives up after 0.1 s without progress, so a buffer flush can return with messages queued: the "
        "reason DurableProducer tracks every future. If flush now waits for all, the tracking can go. "
        + _PRODUCER_TESTS),
    Pin("faust.transport.producer:Producer.send_soon", "streams/repairs/producer.py",
        "DurableProducer.send_soon tracks the future, then calls this; check it still queues the future in "
        "the buffer and that the future resolves when the broker acknowledges. " + _PRODUCER_TESTS),
    Pin("faust.transport.drivers.aiokafka:Producer._ensure_producer", "streams/repairs/producer.py",
        "DurableProducer.send_batched and _partition_of take the started AIOKafkaProducer from it. "
        + _PRODUCER_TESTS),
    Pin("aiokafka.producer.producer:AIOKafkaProducer._partition", "streams/repairs/producer.py",
        "key_partition calls it for the partition send() would choose; check the signature and that it "
        "still applies the configured partitioner. " + _CHANGELOG_TESTS),
    Pin("aiokafka.client:AIOKafkaClient._wait_on_metadata", "streams/repairs/producer.py",
        "send_batched awaits it once per topic before its first batch, as send() does. " + _CHANGELOG_TESTS),
    # changelog.py: a table's records as Kafka batches.
    Pin("faust.tables.base:Collection.send_changelog", "streams/repairs/changelog.py",
        "changelog.send does what this does, a batch at a time: the table's changelog topic, the source "
        "message's partition, the table's serializers (not its _on_changelog_sent callback, which keeps "
        "RocksDB's persisted offset: Jaring's tables are memory://). Port any change. " + _CHANGELOG_TESTS),
    Pin("faust.tables.base:Collection._verify_source_topic_partitions", "streams/repairs/changelog.py",
        "changelog.send calls it as Faust's own writes do, to refuse a changelog with other partitions than "
        "the source topic. " + _CHANGELOG_TESTS),
    Pin("faust.tables.table:Table.on_key_set", "streams/repairs/changelog.py",
        "TableData writes the store without this hook (its changelog send, key TTL and sensor call), since "
        "changelog.send writes the changelog; check it does nothing else a region-state write needs. "
        + _CHANGELOG_TESTS),
    Pin("faust.tables.base:Collection.apply_changelog_batch", "streams/repairs/changelog.py",
        "Recovery reads the records changelog.send wrote back through this; check it still decodes them with "
        "the table's serializers. " + _CHANGELOG_TESTS),
    Pin("faust.stores.memory:Store.__post_init__", "streams/repairs/changelog.py",
        "changelog.send notes each written key's partition in Store._key_partition, made here, which "
        "Store.on_recovery_completed reads to drop the keys of partitions moved away; check both still "
        "keep and read it. Run tests/unit/streams/repairs/test_changelog.py and " + _CHANGELOG_TESTS),
    # sensor.py: Faust's Prometheus sensor without per-message bookkeeping.
    Pin("faust.sensors.prometheus:PrometheusMonitor", "streams/repairs/sensor.py",
        "LeanPrometheusMonitor skips its per-message hooks and replaces on_send_error; check what a changed "
        "hook records and whether the README's metrics and deploy/prometheus rules rely on it. "
        + _SENSOR_TESTS),
    Pin("faust.sensors.monitor:Monitor.on_stream_event_in", "streams/repairs/sensor.py",
        "LeanPrometheusMonitor keeps only its stream_inbound_time write; check nothing else it records is "
        "read outside the sensor's metrics. " + _SENSOR_TESTS),
    Pin("faust.transport.drivers.aiokafka:AIOKafkaConsumerThread.verify_event_path",
        "streams/repairs/sensor.py",
        "It reads monitor.stream_inbound_time to tell a stalled stream from a busy one, which "
        "LeanPrometheusMonitor.on_stream_event_in keeps; check it reads nothing else of the monitor. "
        + _SENSOR_TESTS),
    *(Pin(f"faust.sensors.monitor:Monitor.{hook}", "streams/repairs/sensor.py", _SKIPPED_HOOK)
      for hook in ("on_message_in", "on_stream_event_out", "on_message_out",
                   "on_table_get", "on_table_set", "on_table_del", "on_send_initiated", "on_send_completed",
                   "on_send_error")),
    # offsets.py: where Faust sought a partition to.
    Pin("faust.transport.consumer:Consumer.perform_seek", "streams/repairs/offsets.py",
        "committed_offset reads Consumer._committed_offset, which this fills after seeking to the committed "
        "offsets; check it still does, with the offset the next record is read from. " + _RECOVERY_TESTS),
    Pin("faust.transport.consumer:Consumer._commit_offsets", "streams/repairs/offsets.py",
        "It updates Consumer._committed_offset after each commit; check it still does. " + _RECOVERY_TESTS),
    # producer_abort.py: the API drops what an unacknowledged producer still holds.
    Pin("aiokafka.producer.producer:AIOKafkaProducer.stop", "streams/repairs/producer_abort.py",
        "stop() flushes before it closes, which is why abort() fails the queued batches first. If it can now "
        "drop them (or a public abort exists), use that in api/publisher.py and delete the module. "
        + _ABORT_TESTS),
    Pin("aiokafka.producer.sender:Sender._sender_routine", "streams/repairs/producer_abort.py",
        "abort() cancels this task (Sender.sender_task) and waits for its end before failing the batches; "
        "check a cancelled routine still sends nothing more (it only waits for requests in flight). "
        + _ABORT_TESTS),
    Pin("aiokafka.producer.message_accumulator:MessageAccumulator.fail_all",
        "streams/repairs/producer_abort.py",
        "abort() calls it to fail every queued batch (and so every waiting delivery). " + _ABORT_TESTS),
)


RECORDED: dict[str, tuple[str, str]] = {
    "faust.app.base:App._new_transport":
        ("42db531312dd776fc3937154a32f19eeb9ad7d4ebc2722a92d081a2d271baea1", "0.15.3"),
    "faust.app.base:App._new_producer":
        ("e7e1814e715d8b30a3c972fdc49df923757e41d6f5b0c73110b516d3ceca355e", "0.15.3"),
    "faust.transport.base:Transport.create_producer":
        ("2de47ba78c944b4a74a3aadb0af9fea93cdb11999597a7e7ce0f4922fac7396b", "0.15.3"),
    "faust.tables.recovery:Recovery.on_recovery_completed":
        ("6ef567acf072e46da3fccbccc6d662371f634f622c3d510972d5df81f70ae3ac", "0.15.3"),
    "faust.tables.manager:TableManager.recovery":
        ("f0bf5de78b4c3d235c3554010480f407010ccb7c481c68852a985542b952df32", "0.15.3"),
    "faust.tables.recovery:Recovery._build_offsets":
        ("27eec86be06cb51f66dfd2572be2f9b41acd22c3570239bb5c554bd94e59a1d6", "0.15.3"),
    "faust.tables.recovery:Recovery._restart_recovery":
        ("6bd8a8558a2dffe4c60b8150f23d721baa6b3d658367f911a3ad2187e20efc6f", "0.15.3"),
    "faust.tables.recovery:Recovery._wait":
        ("ec7429b70176f8c688545780fdd6751714a1fa2ed247a9c0236adf9c99f16a53", "0.15.3"),
    "faust.tables.recovery:Recovery._slurp_changelogs":
        ("7825c7e50f766d5ab0fd246b63420ea0dfcd732d005f1057cc9da656ff5d3967", "0.15.3"),
    "faust.tables.recovery:Recovery.on_rebalance":
        ("aa4d997a1795ceae3880f98311b46935d9ae1a183a699b9a283bb4306bc8641f", "0.15.3"),
    "faust.tables.recovery:Recovery.active_remaining":
        ("0dcc38568ad5018b311c00ac7ceebc257d909591267bc47fdb5cd40aad418c50", "0.15.3"),
    "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread._create_client_consumer":
        ("0f3b782052556af9ad60f9a0144b6c61d4c89f27cb780bef2989e40f3cfb5889", "0.15.3"),
    "faust.transport.drivers.aiokafka:credentials_to_aiokafka_auth":
        ("364c9c9c68523c509239799c4ece511022cc10e32c06e53a204716861c9553f7", "0.15.3"),
    "faust.transport.drivers.aiokafka:server_list":
        ("5a13d9708b3ced16569c1626e636254af9a8f7420feb23099ad26c991e01f342", "0.15.3"),
    "faust.serializers.schemas:Schema.compile":
        ("d46eec5ce3195b2c6752cb860a10946cee66ddf6a955f2ea44ac1568c0ecb9ad", "0.15.3"),
    "faust.stores.memory:Store.apply_changelog_batch":
        ("71863e3cd727aac2001c4f19a393c637275eab36056c9a2d395ed1c7528e7647", "0.15.3"),
    "faust.stores.memory:Store._create_batch_iterator":
        ("b082c8bcc040382347025bd5b08d31700b2e6b1d2c0232f1de551f1b5495d1ed", "0.15.3"),
    "faust.stores.memory:Store.on_recovery_completed":
        ("a00bef343e139602606996e88809e62731a9113691ae678095266a52e0e0b013", "0.15.3"),
    "faust.transport.drivers.aiokafka:Consumer._new_consumer_thread":
        ("0870ec53dea75083995e3565c0f0a25a1c63ecceaeb238e92e2585e3623af5a9", "0.15.3"),
    "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread._create_worker_consumer":
        ("c2701bfc3e6f6cad95c2be36d6a255a86e2c57d18d36cc1082b5fb5c482d99d7", "0.15.3"),
    "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread._fetch_records":
        ("39a2c6c79fc1455a199629912b533458a720c64983bc957420a42feef6593baa", "0.15.3"),
    "aiokafka.consumer.fetcher:Fetcher.fetched_records":
        ("be4348896b9b66afe048de954e2be91c546f4e96c94cb120d5764ec77ce8f19e", "0.14.0"),
    "aiokafka.consumer.consumer:AIOKafkaConsumer.start":
        ("2f1ba70443327538800d348e61042cdedd5a5e6306f40ebe1a06dddba7494c45", "0.14.0"),
    "mode.services:Service.wait_first":
        ("feade6a31f8a67897cf687c54c66f5f4535288050bbaac07249ce2063d36ae2e", "0.7.1"),
    "faust.transport.consumer:Consumer._drain_messages":
        ("44a2500309e83c630493f6828af50166ec8d96a0b3e4fb2bab735f704ae93417", "0.15.3"),
    "faust.transport.drivers.aiokafka:Producer._settings_extra":
        ("a4c7bc41b63822236e4c9be1c49437d091f58c1b3a983eecabb7362a819aa8bd", "0.15.3"),
    "faust.transport.drivers.aiokafka:Producer.flush":
        ("36d0cb3615f65b01010d1ec8c5b0f6180110e24c486799bc47c0d72be5152270", "0.15.3"),
    "faust.transport.producer:ProducerBuffer.flush_atmost":
        ("4966e8c5f9b42eb97abe3f93cbc9bc566a22bdea01ae5328c5a6593414820323", "0.15.3"),
    "faust.transport.producer:Producer.send_soon":
        ("fcef15ab45623ff9cd884807a8afb5530b622c89e536b0fcac2ec9e3f965bf4f", "0.15.3"),
    "faust.transport.drivers.aiokafka:Producer._ensure_producer":
        ("5592a4bbdf2513253f98233a4eac931ded2a531a86f269cddcc33bc3f5827db5", "0.15.3"),
    "aiokafka.producer.producer:AIOKafkaProducer._partition":
        ("e45fa9c539d431d1a8af1efb94604c35e9108132a28f6a1e5b03977a0c67beaa", "0.14.0"),
    "aiokafka.client:AIOKafkaClient._wait_on_metadata":
        ("52b0a5ee78ef3aa0c21c82b69baa20eb6983d9e5871e9e66784198cb2f1bf256", "0.14.0"),
    "faust.tables.base:Collection.send_changelog":
        ("3dd3884e1b5fc0e1612bc688b83d9318a1805ddc49700d3b6b37bade73c3905d", "0.15.3"),
    "faust.tables.base:Collection._verify_source_topic_partitions":
        ("6814da56b0d83f930ebb2c921b05f5344d6122199e19c101c3a58e6320050ce9", "0.15.3"),
    "faust.tables.table:Table.on_key_set":
        ("a370e35ca55c2c7e36e93f0d4b485927c32d49199043cab2314572846184dd94", "0.15.3"),
    "faust.tables.base:Collection.apply_changelog_batch":
        ("b980a78d3ae9b1e87f2d3fb63e0dcd2671341a1e60ea5233859d6bdd699d3029", "0.15.3"),
    "faust.stores.memory:Store.__post_init__":
        ("e59c82f3785458b2c6bb8179a01b57270be3edf167615a3f6508f102b173baa2", "0.15.3"),
    "faust.sensors.prometheus:PrometheusMonitor":
        ("69a1537022641050825a478c8793a4075edf5d306f6eca84f1d71fb4e960bb31", "0.15.3"),
    "faust.sensors.monitor:Monitor.on_stream_event_in":
        ("df6d2e5f6397ce441d1fdeb83cb7cb5893a33e507e5e0c8caad38e6a916d838d", "0.15.3"),
    "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread.verify_event_path":
        ("b983e7735f647cb34650530fb0f1bc709e8cb67d54c483b939b14b49b8d931e0", "0.15.3"),
    "faust.sensors.monitor:Monitor.on_message_in":
        ("b2a9a9045b2f456cc736fdbf99f47f4f45335896050c9e48703dfc8146ca51ea", "0.15.3"),
    "faust.sensors.monitor:Monitor.on_stream_event_out":
        ("2d2277a6dbda754cd655207496c08adb6b9141e59556cd9373593c1ef28a18bd", "0.15.3"),
    "faust.sensors.monitor:Monitor.on_message_out":
        ("7c4054247cde96c35740d0f5876b90d67549eed0af16f19cdcb3337e719a6c3b", "0.15.3"),
    "faust.sensors.monitor:Monitor.on_table_get":
        ("240aac793cfe60027fc2ac92951319c2fafce5f60860db858a830b77cd8b037c", "0.15.3"),
    "faust.sensors.monitor:Monitor.on_table_set":
        ("fe5ba12e91b2f6d4de611d82d7856f9641b97cc0c67d0a592d515167703ea127", "0.15.3"),
    "faust.sensors.monitor:Monitor.on_table_del":
        ("8dae2dcdbcecc657efad0767b1874bcee70d615b3556ea3c864714f093e6035d", "0.15.3"),
    "faust.sensors.monitor:Monitor.on_send_initiated":
        ("6394b4e330614dbb9fdf2c98f91c7cb7668fc4caefac77d40e15e6cfb2b64355", "0.15.3"),
    "faust.sensors.monitor:Monitor.on_send_completed":
        ("4942b34ea1f35eafb1edae10b6c4381b8492e8f30352ba3a24578f55d15331eb", "0.15.3"),
    "faust.sensors.monitor:Monitor.on_send_error":
        ("fa059dffe3b57b6937350005f417dfe73900b60da44770ae2da59739b935600f", "0.15.3"),
    "faust.transport.consumer:Consumer.perform_seek":
        ("0e8c130ff4b0afd82c0be9c5fd831316e10febc62c94032833911096e156d7c6", "0.15.3"),
    "faust.transport.consumer:Consumer._commit_offsets":
        ("1a6979904118844111259d182ca1c6e92ccc16364ccbe55c58e59d6e254a7adb", "0.15.3"),
    "aiokafka.producer.producer:AIOKafkaProducer.stop":
        ("43ef97147111893b2d336de3e8f7bd2ffbb8a55564705c932af9e9971e6c78f4", "0.14.0"),
    "aiokafka.producer.sender:Sender._sender_routine":
        ("2380dc5e333d9ebd00be51a395147479ed514f45b84752ee636408f029faedfa", "0.14.0"),
    "aiokafka.producer.message_accumulator:MessageAccumulator.fail_all":
        ("f1e12e8100bfcb8ca8790485bef52098d20d022c5520f915d8db2c889102312c", "0.14.0"),
}
"""Per pin target: the SHA-256 of its source and the version of its distribution it was taken from.

Written by ``python -m streams.repairs.upstream``, only after the repairs that
depend on a changed source were re-checked."""


def main() -> int:
    """Print ``RECORDED`` as the installed sources give it; list the pins that differ on stderr."""
    lines = ["RECORDED: dict[str, tuple[str, str]] = {"]
    for pin in PINS:
        digest, now = installed(pin)
        lines.append(f'    "{pin.target}":\n        ("{digest}", "{now}"),')
        if digest != pin.recorded[0]:
            print(f"changed: {pin.target} (re-check {pin.repair})", file=sys.stderr)
    lines.append("}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
