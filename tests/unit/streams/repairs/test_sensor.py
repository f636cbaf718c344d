"""The worker's Faust sensor keeps what only Faust knows and skips per-message bookkeeping."""

from __future__ import annotations

from types import SimpleNamespace

from faust.sensors.prometheus import FaustMetrics
from faust.types import TP
from prometheus_client import CollectorRegistry

from streams.repairs.sensor import LeanPrometheusMonitor


def test_per_message_hooks_cost_nothing_and_offsets_rebalances_and_errors_are_still_measured() -> None:
    registry = CollectorRegistry()
    monitor = LeanPrometheusMonitor(metrics=FaustMetrics.create(registry, "faust"))
    tp = TP("jaring.region-log.v1", 3)

    for hook in (monitor.on_message_in, monitor.on_message_out):
        hook(tp, 41, object())
    assert monitor.on_stream_event_in(tp, 41, object(), object()) is None
    # ... but Faust's consumer tells a busy stream from a stalled one by this (verify_event_path)
    assert tp in monitor.stream_inbound_time
    monitor.on_send_initiated(object(), tp.topic, object(), 3, 400)
    app = SimpleNamespace(rebalancing_count=1)
    monitor.on_rebalance_end(app, monitor.on_rebalance_start(app))  # (clears partition gauges)
    monitor.track_tp_end_offset(tp, 42)
    monitor.on_send_error(object(), RuntimeError("broker gone"), None)

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("faust_messages_received_total") == 0
    assert value("faust_topic_messages_sent_total", topic=f"topic.{tp.topic}") is None
    assert value("faust_topic_partition_end_offset", topic=tp.topic, partition="3") == 42
    assert value("faust_total_error_messages_sent_total") == 1
    assert value("faust_total_rebalances") == 1
