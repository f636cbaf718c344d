"""The topics the API writes and reads, created when missing.

The API may start before any worker has created the namespace's topics, and
brokers run with topic auto-creation off, so it creates what it needs with
the same spec the worker uses (``infra.topic_admin``): whichever process
comes first, the topics come out the same, and the other's attempt is a no-op.
"""

from __future__ import annotations

__all__ = ["INPUTS", "OUTPUTS"]

INPUTS = ("pledges.v1", "applications.v1")
"""What the API produces."""
OUTPUTS = ("pledge-status.v1", "funding.v1", "coverage.v1")
"""What the API's read model consumes, besides the pledges it and others submitted."""
