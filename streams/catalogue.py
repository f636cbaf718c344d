"""The worker's Faust topics: every topic of ``models.topics.TOPICS``, declared at import.

Declaring a topic is what makes the worker create it (``streams.topics``),
so an output-only topic exists before anyone reads it. Which topics there
are, their keys and what each carries is ``models.topics``; this module
only gives each its Faust handle and its full name under the namespace.
"""

from __future__ import annotations

import faust

from models.topics import INPUTS, REGION_LOG, TOPICS, Topic
from streams.topics import declare

__all__ = ["INPUT_TOPICS", "full_name", "handle", "region_log"]

_HANDLES: dict[str, faust.TopicT] = {topic.name: declare(topic.name, raw=True) for topic in TOPICS}
_FULL_NAMES: dict[str, str] = {name: t.get_topic_name() for name, t in _HANDLES.items()}


def handle(topic: Topic) -> faust.TopicT:
    """The declared Faust topic (raw bytes: decoding is ``models.codec``'s)."""
    return _HANDLES[topic.name]


def full_name(name: str) -> str:
    """``coverage.v1`` -> ``<namespace>.coverage.v1``, for a topic of the table."""
    return _FULL_NAMES[name]


region_log: faust.TopicT = handle(REGION_LOG)
INPUT_TOPICS: tuple[faust.TopicT, ...] = tuple(handle(t) for t in INPUTS)
