"""Settings to Kafka client arguments: the one place every client learns how to connect.

The engine (Faust), the API's producer, admin and read-model consumer, the
dashboard's consumer, the topic tool and ``jaring.topic_io`` all build their
aiokafka clients from :func:`client_kwargs`, so a cluster that needs SASL/SCRAM
or TLS is configured once (``JARING_KAFKA_*``) and no client is left behind
speaking plaintext. aiokafka's defaults (``PLAINTEXT``, no SASL) are what a
broker on loopback wants; a real cluster wants ``SASL_SSL`` with SCRAM.
"""

from __future__ import annotations

import ssl
from typing import Any

from jaring.settings import Settings

__all__ = ["client_kwargs", "security_kwargs", "ssl_context"]


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """A verifying TLS context: the configured CA (else the system's), and a client certificate if set."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=settings.kafka_ssl_cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = settings.kafka_ssl_check_hostname
    if settings.kafka_ssl_certfile and settings.kafka_ssl_keyfile:
        password = settings.kafka_ssl_key_password
        context.load_cert_chain(
            settings.kafka_ssl_certfile,
            settings.kafka_ssl_keyfile,
            password.get_secret_value() if password is not None else None,
        )
    return context


def security_kwargs(settings: Settings) -> dict[str, Any]:
    """aiokafka's ``security_protocol``, ``ssl_context`` and ``sasl_*`` arguments (Faust's too)."""
    protocol = settings.kafka_security_protocol
    kwargs: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        kwargs["ssl_context"] = ssl_context(settings)
    if protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        assert settings.kafka_sasl_password is not None  # Settings refuses SASL without one
        kwargs["sasl_mechanism"] = settings.kafka_sasl_mechanism
        kwargs["sasl_plain_username"] = settings.kafka_sasl_username
        kwargs["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return kwargs


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """Everything an aiokafka producer, consumer or admin client needs to reach the cluster."""
    return {"bootstrap_servers": settings.kafka_bootstrap, **security_kwargs(settings)}
