"""Faust's ``broker_credentials`` from the same arguments every other Jaring client uses.

Faust turns its credentials back into aiokafka arguments
(``faust.transport.drivers.aiokafka.credentials_to_aiokafka_auth``) for its
consumer, producer and topic admin, so building them from
``infra.kafka_security.security_kwargs`` keeps the engine and the services
on one configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import faust
from faust.types.auth import CredentialsT

__all__ = ["broker_credentials"]


def broker_credentials(security: Mapping[str, Any]) -> CredentialsT | None:
    """``None`` for plaintext; SSL or SASL (optionally over TLS) credentials otherwise."""
    protocol = security["security_protocol"]
    if protocol == "SSL":
        return faust.SSLCredentials(security["ssl_context"])
    if protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        return faust.SASLCredentials(
            username=security["sasl_plain_username"],
            password=security["sasl_plain_password"],
            ssl_context=security.get("ssl_context"),
            mechanism=security["sasl_mechanism"],
        )
    return None
