"""Where Faust sought a partition to after the last rebalance, and has committed since.

The matcher's hole detector (``streams.continuity``) anchors each partition's
first event at the offset the worker resumed from. Faust knows it: its
consumer records the committed offsets when it seeks to them
(``Consumer.perform_seek``) and updates them at each commit, but only in a
private mapping, ``Consumer._committed_offset``; it has no public accessor.
Asking the broker instead (aiokafka's ``committed``) costs a round trip per
event and answers what the group committed, not where this consumer stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from faust.types import TP, ConsumerT

__all__ = ["committed_offset"]


def committed_offset(consumer: ConsumerT, tp: TP) -> int | None:
    """The offset Faust sought ``tp`` to, or last committed for it; None before the first seek."""
    offsets: Mapping[TP, int | None] = cast(Any, consumer)._committed_offset
    return offsets.get(tp)  # ``get``: the mapping is a defaultdict, a lookup would insert
