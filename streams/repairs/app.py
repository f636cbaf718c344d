"""The Faust app class with the repaired consumer, producer and table manager wired in.

Faust picks its transport class from the broker URL's scheme and has no
setting for another, so the private factory ``App._new_transport`` is
overridden to build ``RepairedTransport``: its consumer never takes a paused
partition's records and delivers without per-record tasks (``consumer.py``),
and its producer is durable (``producer.py``), which Faust's own
``App._new_producer`` takes from the transport. The table manager whose
recovery seeks before it resumes (``recovery.py``) is a Faust setting,
``TABLE_MANAGER``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import faust
from faust.types.transports import TransportT

from streams.repairs.consumer import ActiveOnlyTransport
from streams.repairs.producer import DurableProducer

__all__ = ["TABLE_MANAGER", "RepairedApp", "RepairedTransport"]

TABLE_MANAGER = "streams.repairs.recovery:SeekFirstTableManager"
"""The ``TableManager`` setting, by name as Faust resolves it."""


class RepairedTransport(ActiveOnlyTransport):
    Producer: ClassVar[Any] = DurableProducer


class RepairedApp(faust.App):
    def _new_transport(self) -> TransportT:
        return RepairedTransport(self.conf.broker_consumer, self)
