"""The broker runner's pure helpers (no JVM started here)."""

from __future__ import annotations

import base64
import uuid
from unittest import mock

from deploy.kafka.runner import new_cluster_id


def test_a_cluster_id_never_starts_with_a_dash_the_storage_tool_would_read_as_an_option() -> None:
    dashed = uuid.UUID(bytes=base64.urlsafe_b64decode("-rbNYQeaQU6tSCGvYMzoNg=="))
    plain = uuid.UUID(int=1)
    with mock.patch("deploy.kafka.runner.uuid.uuid4", side_effect=[dashed, plain]):
        cluster_id = new_cluster_id()
    assert cluster_id == base64.urlsafe_b64encode(plain.bytes).rstrip(b"=").decode()


def test_a_cluster_id_is_a_22_character_url_safe_uuid() -> None:
    for _ in range(200):
        cluster_id = new_cluster_id()
        assert len(cluster_id) == 22 and not cluster_id.startswith("-")
        assert uuid.UUID(bytes=base64.urlsafe_b64decode(cluster_id + "=="))
