"""``jaring api`` as a child process: a test that starts one never leaves it running."""

from __future__ import annotations

import httpx
import pytest

from deploy.kafka.runner import free_port
from tests.integration.api.conftest import ApiProcessFactory

pytestmark = [pytest.mark.kafka]


def test_an_api_alive_but_never_ready_is_stopped_when_its_start_gives_up(
    api_process_factory: ApiProcessFactory,
) -> None:
    """Nothing listens at its bootstrap: the API serves /healthz but never /readyz."""
    port = free_port()
    with pytest.raises(TimeoutError):
        api_process_factory(
            ready_timeout=10.0, JARING_KAFKA_BOOTSTRAP=f"127.0.0.1:{free_port()}", JARING_API_PORT=str(port)
        )
    with pytest.raises(httpx.ConnectError):  # gone now, not at the end of the session
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5.0)
