"""Driving the real pipeline from tests: the demo's own feeding and reading."""

from jaring.demo import OUTPUT_TOPICS, feed, outputs_until

__all__ = ["OUTPUT_TOPICS", "feed", "outputs_until"]
