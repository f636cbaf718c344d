"""Chaos runs: short by default (``make test``), long with ``make chaos``.

Sizes come from the environment so the same tests serve both:
``CHAOS_WORKER_KILLS``, ``CHAOS_BROKER_KILLS`` and ``CHAOS_APPLICATIONS``.
The short run (3 worker kills, 1 broker kill, 3,000 applications) is a
regression check that every fault path still holds; the long one is the
measure of robustness (20 kills, 3 broker kills, 20,000 applications).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class ChaosPlan:
    worker_kills: int
    broker_kills: int
    applications: int


@pytest.fixture
def plan() -> ChaosPlan:
    return ChaosPlan(
        worker_kills=int(os.environ.get("CHAOS_WORKER_KILLS", "3")),
        broker_kills=int(os.environ.get("CHAOS_BROKER_KILLS", "1")),
        applications=int(os.environ.get("CHAOS_APPLICATIONS", "3000")),
    )
