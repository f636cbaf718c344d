"""A Faust producer that is durable by default.

Faust turns on ``acks=all`` and idempotence only inside ``exactly_once``
transactions; under at-least-once it sends with ``acks=1`` and no
idempotence, so a leader failover can lose or duplicate an output. Money
events must survive a broker loss, so every producer here asks for both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faust.transport.drivers.aiokafka import Producer

__all__ = ["DurableProducer"]


class DurableProducer(Producer):
    def _settings_extra(self) -> Mapping[str, Any]:
        return {"acks": "all", "enable_idempotence": True}
