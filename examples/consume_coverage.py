"""Follow a city's coverage topic from Python: the start of your own dashboard.

    JARING_KAFKA_BOOTSTRAP=127.0.0.1:9092 .venv/bin/python examples/consume_coverage.py [namespace]

Reads ``<namespace>.coverage.v1`` from the beginning and prints one line per
event. Delivery is at-least-once, so repeats are dropped by ``event_id``.
Events carry a worker pseudonym, never a NIK or a name. Ctrl-C to stop.
"""

import asyncio
import os
import sys

from aiokafka import AIOKafkaConsumer

from models.codec import decode
from models.events import CoverageActivated, CoverageExpired, CoverageRenewed


async def main(namespace: str) -> None:
    consumer = AIOKafkaConsumer(
        f"{namespace}.coverage.v1",
        bootstrap_servers=os.environ.get("JARING_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        group_id=None,  # no group: every run reads everything; add one to resume where you stopped
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    seen: set[str] = set()
    try:
        async for record in consumer:
            event = decode(record.value or b"")
            if event.event_id in seen or not isinstance(
                event, CoverageActivated | CoverageRenewed | CoverageExpired
            ):
                continue
            seen.add(event.event_id)
            print(event.type, event.period, event.worker, event.district, event.occupation,
                  event.sponsor_id, sep="\t", flush=True)
    finally:
        await consumer.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "jaring"))
