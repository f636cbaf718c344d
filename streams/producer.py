"""A Faust producer that is durable by default, and whose flush means flushed.

Two gaps in Faust's at-least-once guarantee are closed here:

* Faust turns on ``acks=all`` and idempotence only inside ``exactly_once``
  transactions; under at-least-once it sends with ``acks=1`` and no
  idempotence, so a leader failover can lose or duplicate an output.
* Table writes are queued in Faust's own buffer (``send_soon``), and the
  consumer commits offsets after ``producer.flush()``. But the buffer's
  flush gives up after 0.1 s without progress, so on a busy machine an
  offset can be committed while that event's changelog writes are still in
  Python memory; a crash then loses the state and never replays the event.
  Here every buffered message is tracked until delivered, and ``flush``
  waits for all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from faust.transport.drivers.aiokafka import Producer
from faust.types import FutureMessage

__all__ = ["DurableProducer"]


class DurableProducer(Producer):
    _unsettled: set[FutureMessage]

    def __post_init__(self) -> None:
        super().__post_init__()
        self._unsettled = set()

    def _settings_extra(self) -> Mapping[str, Any]:
        return {"acks": "all", "enable_idempotence": True}

    def send_soon(self, fut: FutureMessage) -> None:
        self._unsettled.add(fut)
        fut.add_done_callback(self._unsettled.discard)
        super().send_soon(fut)

    async def flush(self) -> None:
        # The offsets about to be committed were chosen before this call, so
        # the writes they depend on are all queued by now; later ones can wait.
        queued = list(self._unsettled)
        await super().flush()
        if queued:
            # Delivered, or failed: a failure raises here and the commit is skipped.
            await asyncio.gather(*queued)
