"""Settings to Kafka client arguments: the one place every client learns how to connect.

The engine (Faust), the API's producer, admin and read-model consumer, the
dashboard's consumer, the topic tool and ``infra.topic_io`` all build their
aiokafka clients from :func:`client_kwargs`, so a cluster that needs SASL/SCRAM
or TLS is configured once (``JARING_KAFKA_*``) and no client is left behind
speaking plaintext. aiokafka's defaults (``PLAINTEXT``, no SASL) are what a
broker on loopback wants; a real cluster wants ``SASL_SSL`` with SCRAM.

:func:`check_tls` is the pre-flight every process runs before its clients
start: aiokafka and Faust meet a certificate they cannot verify with a log
line per retry (``KafkaConnectionError``, "Unable to bootstrap") and retry
for ever, while a wrong CA bundle or a broker named otherwise than its
certificate says is a configuration error that no retry cures. The check
says which, in one coded sentence, and the process exits.
"""

from __future__ import annotations

import socket
import ssl
import struct
from typing import Any

from infra.settings import Settings

__all__ = [
    "KafkaTlsError", "bootstrap_addresses", "check_tls", "client_kwargs", "security_kwargs", "ssl_context",
]

_HOSTNAME_MISMATCH = {62, 64}
"""OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH."""

_CLIENT_CERT_ALERTS = {
    "SSLV3_ALERT_BAD_CERTIFICATE",
    "TLSV13_ALERT_CERTIFICATE_REQUIRED",
    "TLSV1_ALERT_UNKNOWN_CA",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    "SSLV3_ALERT_CERTIFICATE_REVOKED",
    "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
}
"""Alerts a broker sends about the client's certificate (missing, untrusted, expired...)."""

_API_VERSIONS = struct.pack(">hhih", 18, 0, 0x4A52, len(b"jaring-preflight")) + b"jaring-preflight"
"""A Kafka ApiVersions v0 request. Every broker answers it, before SASL too; under TLS 1.3 a broker
refuses a missing client certificate only after the handshake, so the check must exchange a request."""


class KafkaTlsError(RuntimeError):
    """A TLS problem no retry will cure: the message starts with a stable code and says what to fix."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """A verifying TLS context: the configured CA (else the system's), and a client certificate if set.

    A configured CA file is the only trust anchor: the system's CAs are not
    loaded beside it, or any certificate a public CA issued would pass.
    """
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=settings.kafka_ssl_cafile)
    except (OSError, ssl.SSLError) as exc:
        raise KafkaTlsError(
            "kafka_tls_files",
            f"cannot read JARING_KAFKA_SSL_CAFILE={settings.kafka_ssl_cafile} ({_reason(exc)}); "
            "it must be a readable PEM file of the CA certificate(s)",
        ) from exc
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = settings.kafka_ssl_check_hostname
    if settings.kafka_ssl_certfile and settings.kafka_ssl_keyfile:
        password = settings.kafka_ssl_key_password
        try:
            context.load_cert_chain(
                settings.kafka_ssl_certfile,
                settings.kafka_ssl_keyfile,
                password.get_secret_value() if password is not None else None,
            )
        except (OSError, ssl.SSLError) as exc:
            raise KafkaTlsError(
                "kafka_tls_files",
                f"cannot load the client certificate JARING_KAFKA_SSL_CERTFILE={settings.kafka_ssl_certfile} "
                f"with JARING_KAFKA_SSL_KEYFILE={settings.kafka_ssl_keyfile} ({_reason(exc)}); they must be "
                "readable PEM files of one key pair, and JARING_KAFKA_SSL_KEY_PASSWORD the key's password",
            ) from exc
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


def check_tls(settings: Settings, timeout: float = 10.0) -> None:
    """Raise :class:`KafkaTlsError` if the first reachable bootstrap server refuses TLS as configured.

    A no-op without TLS. Uses the very context the clients get, so it fails
    exactly when they would. Servers that cannot be reached are skipped, and
    if none can, nothing is raised: an absent broker is the clients' to wait
    for (a worker may start before its cluster), not a TLS error.
    """
    if settings.kafka_security_protocol not in ("SSL", "SASL_SSL"):
        return
    context = ssl_context(settings)
    for host, port in bootstrap_addresses(settings.kafka_bootstrap):
        try:
            raw = socket.create_connection((host, port), timeout=timeout)
        except OSError:
            continue
        with raw:
            _handshake(context, raw, host, port, settings)
        return


def _handshake(context: ssl.SSLContext, raw: socket.socket, host: str, port: int, settings: Settings) -> None:
    where = f"{host}:{port}"
    try:
        tls = context.wrap_socket(raw, server_hostname=host)
    except ssl.SSLCertVerificationError as exc:
        raise _verify_error(exc, where, settings) from exc
    except ssl.SSLError as exc:
        if exc.reason in _CLIENT_CERT_ALERTS:
            raise _client_cert_error(exc, where, settings) from exc
        raise KafkaTlsError(
            "kafka_tls_handshake",
            f"{where}: no TLS session ({_reason(exc)}); is it a TLS listener? Check that "
            "JARING_KAFKA_BOOTSTRAP names the brokers' SSL or SASL_SSL port(s) and "
            f"JARING_KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol} is what they speak",
        ) from exc
    except OSError:
        return  # reset or timed out mid-handshake: not a verdict on TLS; the clients will say
    with tls:
        try:
            tls.sendall(struct.pack(">i", len(_API_VERSIONS)) + _API_VERSIONS)
            tls.recv(4)
        except ssl.SSLError as exc:
            if exc.reason in _CLIENT_CERT_ALERTS:
                raise _client_cert_error(exc, where, settings) from exc
        except OSError:
            pass  # no answer in time, or a reset: inconclusive, so let the clients try


def _verify_error(exc: ssl.SSLCertVerificationError, where: str, settings: Settings) -> KafkaTlsError:
    if exc.verify_code in _HOSTNAME_MISMATCH:
        return KafkaTlsError(
            "kafka_tls_hostname",
            f"{where}: certificate verify failed: {exc.verify_message.rstrip('.')}; the broker's certificate "
            "does not name the host connected to: list the brokers in JARING_KAFKA_BOOTSTRAP by a name "
            "their certificate carries",
        )
    ca = f"JARING_KAFKA_SSL_CAFILE={settings.kafka_ssl_cafile}" if settings.kafka_ssl_cafile else (
        "JARING_KAFKA_SSL_CAFILE (unset: the system's CAs were used)"
    )
    return KafkaTlsError(
        "kafka_tls_untrusted",
        f"{where}: certificate verify failed: {exc.verify_message.rstrip('.')}; check {ca}: "
        "it must hold the CA that signed the brokers' certificates",
    )


def _client_cert_error(exc: ssl.SSLError, where: str, settings: Settings) -> KafkaTlsError:
    if not settings.kafka_ssl_certfile:
        return KafkaTlsError(
            "kafka_tls_client_cert",
            f"{where}: the broker refused the connection ({_reason(exc)}): it requires a client "
            "certificate (mutual TLS); set JARING_KAFKA_SSL_CERTFILE and JARING_KAFKA_SSL_KEYFILE",
        )
    return KafkaTlsError(
        "kafka_tls_client_cert",
        f"{where}: the broker refused the client certificate JARING_KAFKA_SSL_CERTFILE="
        f"{settings.kafka_ssl_certfile} ({_reason(exc)}); it must be signed by a CA the broker trusts "
        "and be valid today",
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason).lower().replace("_", " ")
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def bootstrap_addresses(bootstrap: str) -> list[tuple[str, int]]:
    """``host:port`` entries (``[v6]:port`` too); a missing port is Kafka's 9092, as aiokafka reads it."""
    servers = []
    for entry in (part.strip() for part in bootstrap.split(",")):
        if not entry:
            continue
        host, colon, port = entry.rpartition(":")
        if not colon or "]" in port:
            host, port = entry, "9092"
        if port.isdigit():  # anything else is aiokafka's to refuse, in its own words
            servers.append((host.strip("[]"), int(port)))
    return servers
