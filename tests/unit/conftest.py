"""Hypothesis profiles for the unit suite: moderate by default, thorough on demand.

``HYPOTHESIS_PROFILE=thorough pytest tests/unit`` runs ten times the examples.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "unit", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "unit"))
