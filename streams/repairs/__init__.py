"""Where Jaring repairs or bypasses Faust and aiokafka internals: the only place that may.

Nothing else reaches a private member of theirs (ruff's ``SLF`` rules) or
imports their internal modules (an import-linter contract); every upstream
method a repair copies, overrides or calls into is pinned by the hash of its
source (``upstream.py``, checked by ``tests/unit/streams/repairs/test_upstream.py``), so
an upgrade that changes one fails a test that names the repair to re-check.

Written against faust-streaming 0.15.3, mode-streaming 0.7.1 and aiokafka
0.14.0; upstream master read on 2026-08-20 (faust 181b184) and 2026-04-29
(aiokafka 672947a). Texts for the maintainers of what nobody reported yet are
in ``docs/upstream/``.

INDEX: what upstream does wrong; the upstream report; the test that fails
when the repair is taken out; when the repair can go.

``app.py`` (``RepairedApp``, ``RepairedTransport``, ``TABLE_MANAGER``)
    Wiring, not a fault: Faust chooses its transport class from the broker
    URL's scheme, with no setting for another, so the private factory
    ``App._new_transport`` is overridden to build the repaired consumer and
    producer below (the table manager is a setting). Not reported:
    ``docs/upstream/faust-transport-class.md``. Tests: the fixtures of
    ``tests/unit/streams/repairs/test_producer.py`` and
    ``tests/unit/streams/repairs/test_consumer.py`` build the app and find the
    repaired classes. Goes with the last repair it wires in, or when a
    setting names the transport class.

``recovery.py`` (``SeekFirstRecovery``, ``SeekFirstTableManager``)
    Faust's ``Recovery.on_recovery_completed`` resumes the input partitions
    and only then seeks them to their committed offsets, while the fetcher
    already runs for the changelogs: records fetched in between are dropped
    by the read-offset bookkeeping, a block of the region log is skipped after
    a restart and the offset commit stalls in front of it. Reported as
    faust-streaming #596 (open: "A race condition in recovery causes
    unrecoverable gaps in acked offsets"); PR #217 fixed the same order in
    ``_resume_streams``, the path without tables, only. Master still resumes
    first. Test: ``tests/unit/streams/repairs/test_recovery.py`` (the order);
    ``tests/chaos/sigkill_repro.py`` reproduces the loss. Goes when a release
    seeks before it resumes there (the pin on ``on_recovery_completed``
    fails on that upgrade).

``restore.py`` with ``recovery.py`` (``SeekFirstRecovery._build_offsets``)
    Not a fault, a cost: Faust's recovery takes every changelog record
    through the worker's consumer, a ``faust.Event`` and the changelog
    queue, one record per hop (about 3,500 records/s, 129 s to ready at
    100,000 covered workers). The active partitions are read first with a
    groupless consumer and applied a fetch at a time through the table's
    ``apply_changelog_batch``, and Faust's read offsets moved past them, so
    Faust reads only what the bulk read left (a rebalance, a broker that
    stopped answering, a record that does not decode). The read is a step of
    its own, outside the timeout Faust gives each recovery step. Not reported. Test:
    ``tests/integration/test_bulk_restore.py`` (rewrites, tombstones and
    writes after deletion; the log must count every record). Goes when
    Faust's recovery applies fetches rather than records.

``consumer.py`` (``ActiveOnlyTransport``): no records of paused partitions
    Faust passes its live set of active partitions to aiokafka's
    ``fetched_records``, which reads an empty set as "every partition"; while
    recovery ends the set is briefly empty, so records of paused input
    partitions are fetched, the position moves past them and Faust drops
    them. Not reported to faust-streaming (robinhood/faust PR #69 fixed it in
    2018 for ``getmany``; the fetcher path lost the guard):
    ``docs/upstream/faust-empty-active-partitions.md``. Test:
    ``tests/unit/streams/repairs/test_consumer.py::test_no_active_partition_takes_no_record``;
    ``tests/integration/test_input_gap.py`` stalled on it one run in four.
    Goes when ``AIOKafkaConsumerThread._fetch_records`` asks for nothing on
    an empty set.

``consumer.py``: the fetch wait
    Faust builds the worker's consumer with ``fetch_max_wait_ms=1500``,
    hard-coded; a fetch for idle partitions holds the busy ones back for the
    whole wait (benchmark (c): worker and broker idle a second every few
    seconds). Not reported: ``docs/upstream/faust-fetch-max-wait.md``. Test:
    ``tests/unit/streams/repairs/test_consumer.py::test_the_worker_consumer_fetches_with_the_configured_wait``.
    Goes when a Faust setting feeds ``fetch_max_wait_ms`` (then
    ``JARING_FETCH_MAX_WAIT_MS`` goes through it).

``delivery.py`` with ``consumer.py`` (``_ActiveOnlyConsumer.wait_first``)
    Not a fault, a cost: Faust hands every record to its streams through
    ``Service.wait_first``, four asyncio tasks and an ``asyncio.wait`` per
    record, a tenth of a busy worker. Not reported:
    ``docs/upstream/faust-per-record-costs.md``. Test:
    ``tests/unit/streams/repairs/test_delivery.py``. Goes when Faust delivers without tasks
    per record, or if ``benchmarks/worker_profile.py`` shows it no longer pays.

``producer.py`` (``DurableProducer``)
    Outside transactions Faust never turns idempotence on, so a retried send
    can duplicate or reorder records on a leader failover (acks come from
    ``producer_acks``, which Jaring sets to all). Its buffer's flush gives up
    after 0.1 s without progress, so an offset commit can pass an event whose
    table writes are still in Python memory, and a failed send never stops
    the commit. Not reported (PR #273 made commits flush at all; #173, open,
    is the buffer's throttling): ``docs/upstream/faust-durable-producer.md``.
    Tests: ``tests/unit/streams/repairs/test_producer.py``. Goes when Faust's flush
    waits for every buffered send and raises on a failed one, and
    idempotence is on under ``at_least_once``. ``send_batched`` (a batch per
    partition, no future per record) is a cost repair, like ``changelog.py``;
    ``tests/integration/test_batched_send.py`` pins where its records land.

``changelog.py`` (``TableData``, ``send``)
    A cost: a table write costs Faust a ``FutureMessage``, a trip through its
    buffer and a send per key (17 % of a busy worker). Records go as Kafka
    batches on the partition Faust itself would use, with its serializers.
    Not reported: ``docs/upstream/faust-per-record-costs.md``. Tests:
    ``tests/integration/test_worker_faults.py`` and ``tests/chaos/`` (a
    SIGKILLed worker recovers its state from these records, outputs equal to
    a replay). Goes when Faust sends a table's writes in batches.

``sensor.py`` (``LeanPrometheusMonitor``)
    A cost: Faust's Prometheus sensor updates several labelled metrics per
    message, stream event, table access and send, an eighth of a busy
    worker's CPU. Not reported: ``docs/upstream/faust-per-record-costs.md``.
    It keeps the one write Faust's consumer reads (the time a stream last
    took an event): without it a busy worker logged "Stream has not started
    processing" at ERROR every few seconds once a backlog outlived
    ``stream_processing_timeout``.
    Test: ``tests/unit/streams/repairs/test_sensor.py``. Goes when the sensor can leave out
    per-message metrics.

``offsets.py`` (``committed_offset``)
    Not a fault, a missing accessor: where Faust sought a partition to after
    a rebalance is kept only in ``Consumer._committed_offset``; the hole
    detector (``streams.continuity``) anchors each partition there. Not
    reported: ``docs/upstream/faust-committed-offset.md``. Test:
    ``tests/integration/test_input_gap.py`` (records deleted before a stopped
    worker read them: the first one it reads is past its commit). Goes when
    Faust exposes it.

``producer_abort.py`` (``abort``), used by the API, not the worker
    aiokafka has no abort, and ``AIOKafkaProducer.stop()`` flushes: with the
    broker away an idempotent producer retries a queued batch for ever, so
    ``stop()`` hangs, and cancelled it leaves the sender running, which
    delivers the batch once the broker is back: a pledge made although its
    sponsor was told 503. Reported as aiokafka #1101 (open: ``stop()`` hangs
    while Kafka is down) and #1013 (open question: how to close when Kafka
    does not respond). Tests: ``tests/integration/test_producer_abort.py``,
    ``tests/integration/api/test_kafka_outage.py``. Goes when aiokafka can
    close a producer dropping what it holds. Imports aiokafka only: the
    API's import contract allows this one module.

Open upstream, and answered by design rather than by a repair: faust-streaming
#606 (a wrong offset committed when acknowledgements have gaps: the matcher
runs at concurrency 1 and acknowledges manually, after its state is written,
and ``streams.continuity`` stops the worker at a hole); #502 (records
processed twice after a rebalance: at-least-once, so the matcher derives the
same outputs with the same ids from a replay and consumers drop repeats);
#651 (recovery stuck when retention deletes changelog segments under
``auto_offset_reset=latest``: Jaring reads from ``earliest`` and its
changelogs are compacted, never deleted by time).
"""
