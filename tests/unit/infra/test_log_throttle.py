"""The Kafka client's error throttle: what passes, what is counted, and when the log hears of it.

The decisions take the time as an argument, so these tests use a clock that
moves only when told; the filter is then checked on real loggers, still with
an injected clock.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.log_throttle import ANNOUNCER, ErrorThrottle, KafkaErrorFilter, Line, install, kafka_logger_names

ERROR, WARNING = logging.ERROR, logging.WARNING


def texts(lines: Sequence[Line]) -> list[str]:
    return [line.text for line in lines]


def test_the_first_error_passes_announced_and_the_repeats_are_counted_into_one_summary() -> None:
    throttle = ErrorThrottle(period_s=60)
    passed, lines = throttle.admit(0.0, ERROR, "aiokafka", "Unable connect to node with id 1")
    assert passed and texts(lines)[0].startswith("kafka_unreachable:")
    for n in range(1, 500):
        passed, lines = throttle.admit(n * 0.1, ERROR, "aiokafka.consumer.fetcher", f"Failed fetch {n}")
        assert (passed, lines) == (False, [])
    [summary] = throttle.tick(60.0)
    assert summary.level == ERROR
    assert summary.text.startswith(
        "kafka_errors_repeated: 499 similar errors from the Kafka client in the last 60 s"
    )
    assert "aiokafka.consumer.fetcher 499" in summary.text and summary.text.endswith("Failed fetch 499")


def test_nothing_is_written_between_periods() -> None:
    throttle = ErrorThrottle(period_s=60)
    throttle.admit(0.0, ERROR, "aiokafka", "down")
    throttle.admit(1.0, ERROR, "aiokafka", "down")
    assert throttle.tick(59.9) == []
    assert len(throttle.tick(60.0)) == 1
    assert throttle.tick(61.0) == []


def test_a_whole_period_without_errors_is_reachable_again_and_a_new_error_a_new_outage() -> None:
    throttle = ErrorThrottle(period_s=60)
    throttle.admit(0.0, ERROR, "aiokafka", "down")
    throttle.admit(30.0, WARNING, "aiokafka", "still down")
    assert texts(throttle.tick(60.0))[0].startswith("kafka_errors_repeated: 1 similar")
    [clear] = throttle.tick(120.0)
    assert clear.level == ERROR  # as loud as the outage was: whoever saw it start sees it end
    assert clear.text == (
        "kafka_reachable_again: no Kafka client error for 90 s; the outage logged 2 in 30 s "
        "(1 of them summarised)"
    )
    assert not throttle.unreachable
    passed, lines = throttle.admit(130.0, WARNING, "aiokafka", "down again")
    assert passed and texts(lines)[0].startswith("kafka_unreachable:")


def test_a_lone_error_passes_and_is_followed_by_the_all_clear_only() -> None:
    throttle = ErrorThrottle(period_s=10)
    assert throttle.admit(0.0, WARNING, "aiokafka", "Heartbeat failed")[0]
    assert throttle.tick(9.0) == []
    assert texts(throttle.tick(10.0))[0].startswith("kafka_reachable_again:")


def test_a_record_that_arrives_after_a_due_summary_carries_it_out_first() -> None:
    throttle = ErrorThrottle(period_s=60)
    throttle.admit(0.0, ERROR, "aiokafka", "down")
    throttle.admit(1.0, ERROR, "aiokafka", "down")
    passed, lines = throttle.admit(75.0, ERROR, "aiokafka", "down")  # no tick came in between
    assert not passed and texts(lines)[0].startswith("kafka_errors_repeated: 1 similar")


@given(
    st.lists(
        st.tuples(st.floats(min_value=0.0, max_value=200.0), st.sampled_from([WARNING, ERROR])),
        min_size=1, max_size=300,
    ),
    st.floats(min_value=1.0, max_value=120.0),
)
def test_every_record_is_passed_or_counted_and_the_lines_grow_with_time_not_with_records(
    gaps_and_levels: list[tuple[float, int]], period: float
) -> None:
    throttle = ErrorThrottle(period_s=period)
    now, passed, added = 0.0, 0, []
    for gap, level in gaps_and_levels:
        now += gap
        ok, lines = throttle.admit(now, level, "aiokafka", "down")
        passed += ok
        added += lines
    end = now + 2 * period
    added += throttle.tick(end)
    added += throttle.tick(end + 1.5 * period)  # whatever the phase, the all-clear is out by now
    repeated = (re.match(r"kafka_errors_repeated: (\d+) ", t) for t in texts(added))
    summarised = sum(int(m.group(1)) for m in repeated if m)
    starts = sum(t.startswith("kafka_unreachable:") for t in texts(added))
    ends = sum(t.startswith("kafka_reachable_again:") for t in texts(added))
    summaries = sum(t.startswith("kafka_errors_repeated:") for t in texts(added))
    assert passed + summarised == len(gaps_and_levels)  # none lost, none told twice
    assert starts == ends == passed  # each outage passes one record and ends once
    assert summaries <= math.ceil((end + 1.5 * period) / period)  # the log grows with time, not records
    assert not throttle.unreachable


@pytest.fixture
def announced(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def test_the_filter_passes_info_untouched_and_throttles_warnings_on_a_real_logger(
    announced: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    flt = KafkaErrorFilter(ErrorThrottle(period_s=60), clock=lambda: now[0])
    logger = logging.getLogger("aiokafka.test-throttle")
    logger.addFilter(flt)
    try:
        logger.info("Discovered coordinator %s", 1)
        for n in range(100):
            now[0] = n * 0.5
            logger.error("Unable connect to node with id %s: %s", 1, "refused")
        now[0] = 60.0
        flt.tick()
        now[0] = 120.0
        flt.tick()
    finally:
        logger.removeFilter(flt)
    seen = [(r.name, r.getMessage()) for r in announced.records]
    assert seen[0] == ("aiokafka.test-throttle", "Discovered coordinator 1")
    assert seen[1][0] == ANNOUNCER and seen[1][1].startswith("kafka_unreachable:")
    assert seen[2] == ("aiokafka.test-throttle", "Unable connect to node with id 1: refused")
    assert seen[3][0] == ANNOUNCER and seen[3][1].startswith("kafka_errors_repeated: 99 similar")
    assert seen[4][0] == ANNOUNCER and seen[4][1].startswith("kafka_reachable_again:")
    assert len(seen) == 5


def test_install_covers_every_aiokafka_module_logger_and_uninstall_removes_it(
    announced: pytest.LogCaptureFixture,
) -> None:
    names = kafka_logger_names()
    assert {"aiokafka", "aiokafka.conn", "aiokafka.consumer.fetcher", "aiokafka.producer.sender",
            "aiokafka.consumer.group_coordinator", "aiokafka.cluster"} <= set(names)
    handle = install(period_s=60.0)
    try:
        assert install(period_s=5.0) is handle  # once per process
        fetcher = logging.getLogger("aiokafka.consumer.fetcher")
        for _ in range(50):
            fetcher.error("Failed fetch messages from %s: %s", 1, "NodeNotReadyError")
    finally:
        handle.uninstall()
    logging.getLogger("aiokafka.consumer.fetcher").error("after uninstall")
    fetched = [r for r in announced.records if r.name == "aiokafka.consumer.fetcher"]
    assert [r.getMessage() for r in fetched] == [
        "Failed fetch messages from 1: NodeNotReadyError",
        "after uninstall",
    ]
