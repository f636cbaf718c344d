"""Recording a hand-out of personal data before it is handed out: one rule for every desk that does.

The registration list (NIKs and names) and the officer's desk lookups (a worker found by NIK) are
recorded on ``access-log.v1`` first; when the broker does not take the record, nothing is handed out.
"""

from __future__ import annotations

from api.problems import ProblemError
from api.publisher import KafkaUnavailableError
from api.services import Services
from models.codec import encode
from models.events import AccessRecorded
from models.topics import ACCESS_LOG

__all__ = ["record_access"]


async def record_access(svc: Services, event: AccessRecorded, key: bytes, refused: str) -> None:
    """On the broker, or 503 ``kafka_unavailable`` saying what was not handed out (``refused``)."""
    try:
        await svc.publisher.publish(svc.settings.topic(ACCESS_LOG.name), key, encode(event))
    except KafkaUnavailableError:
        raise ProblemError(
            503, "kafka_unavailable", f"{refused}; retry in a few seconds", headers={"Retry-After": "2"}
        ) from None
