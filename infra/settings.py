"""Every setting Jaring reads, in one frozen class fed by ``JARING_*`` variables.

The README's configuration table mirrors this class. Secrets are ``SecretStr``
so that printing the settings never prints them, and a production process
refuses to start with the development defaults: a pseudonym keyed with a
public default is no pseudonym (a NIK has little entropy, UU 27/2022).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.eligibility import KENDARI, CityPolicy

__all__ = ["DEV_PSEUDONYM_KEY", "DEV_WEBHOOK_KEY", "Settings"]

DEV_PSEUDONYM_KEY = "jaring-development-only-pseudonym-key"
DEV_WEBHOOK_KEY = "jaring-development-only-webhook-key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JARING_", frozen=True, extra="ignore")

    env: Literal["development", "production"] = "development"
    kafka_bootstrap: str = Field(
        "127.0.0.1:9092", description="Comma-separated host:port list of Kafka brokers."
    )
    namespace: str = Field(
        "jaring",
        pattern=r"^[a-z][a-z0-9-]{0,30}$",
        description="Prefix of every topic and the consumer group; several cities can share a cluster.",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="How every Kafka client connects (infra/kafka_security.py)."
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = Field(None, description="SASL user (SASL_PLAINTEXT, SASL_SSL).")
    kafka_sasl_password: SecretStr | None = Field(None, description="SASL password (SASL_* protocols).")
    kafka_ssl_cafile: str | None = Field(
        None, description="PEM bundle of the CA that signed the brokers' certificates; system CAs if unset."
    )
    kafka_ssl_certfile: str | None = Field(None, description="PEM client certificate, for mutual TLS.")
    kafka_ssl_keyfile: str | None = Field(None, description="PEM private key of the client certificate.")
    kafka_ssl_key_password: SecretStr | None = Field(None, description="Password of the private key, if any.")
    kafka_ssl_check_hostname: bool = Field(
        True, description="Check that each broker's certificate names the host connected to."
    )
    topic_partitions: int = Field(
        8, ge=1, le=1024, description="Partitions of every topic: the ceiling on parallel workers."
    )
    replication_factor: int = Field(1, ge=1, le=5, description="Replication factor of created topics.")
    min_insync_replicas: int = Field(1, ge=1, le=5, description="min.insync.replicas of created topics.")
    store: Literal["memory://"] = Field(
        "memory://",
        description="Faust table store: memory:// only, rebuilt from the compacted changelog at start "
        "(RocksDB was removed: ARCHITECTURE.md, Decisions).",
    )
    data_dir: str = Field(".jaring-data", description="Where Faust keeps local table state.")
    session_timeout_s: float = Field(
        10.0, ge=6.0, le=300.0,
        description="Consumer session timeout: how long a crashed worker keeps its partitions.",
    )
    batch_max: int = Field(
        1000, ge=1, le=100_000,
        description="Most region-log events the matcher writes as one batch (1: one at a time).",
    )
    event_loop: Literal["uvloop", "asyncio"] = Field(
        "uvloop", description="The worker's event loop: uvloop (faster) or the standard library's."
    )
    producer_linger_ms: int = Field(
        5, ge=0, le=1000,
        description="How long the worker's producer waits to fill a batch: fewer, larger broker requests.",
    )
    fetch_max_wait_ms: int = Field(
        100, ge=1, le=1500,
        description="How long the broker may hold the worker's fetch for data: its longest stall.",
    )
    max_message_bytes: int = Field(
        1_000_000, ge=16_384, le=100_000_000,
        description="The max.message.bytes of the region-log and dead-letter topics (or less): dead "
        "letters are cut to fit it, and an input whose region-log copy would not is dead-lettered.",
    )
    web_host: str = Field("127.0.0.1", description="Bind address of the worker's web server.")
    web_port: int = Field(6066, ge=1, le=65535)
    dashboard_host: str = Field("127.0.0.1", description="Bind address of `jaring dashboard`.")
    dashboard_port: int = Field(6070, ge=1, le=65535, description="Port of `jaring dashboard`.")
    min_cell: int = Field(
        5, ge=1, le=1_000,
        description="The smallest count of people shown outside the engine (dashboard, fairness gauges): "
        "smaller groups are merged into 'other' (models.disclosure); totals stay exact.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    kafka_log_summary_s: float = Field(
        60.0, ge=1.0, le=3600.0,
        description="Repeated Kafka client errors (an outage) are logged as one summary per this many "
        "seconds; a whole period without one logs 'Kafka reachable again' (infra/log_throttle.py).",
    )
    policy_file: str | None = Field(
        None, description="JSON file of the city's rules (models.eligibility.CityPolicy); default Kendari."
    )
    pseudonym_key: SecretStr = Field(
        SecretStr(DEV_PSEUDONYM_KEY), description="HMAC key for worker pseudonyms. Required in production."
    )
    api_host: str = Field("127.0.0.1", description="Bind address of the sponsor API (jaring api).")
    api_port: int = Field(8080, ge=1, le=65535)
    api_keys_file: str = Field(
        ".jaring-api-keys.json",
        description="JSON file of hashed API keys (jaring keys create); re-read when it changes.",
    )
    api_max_body_bytes: int = Field(
        16_384, ge=1_024, le=1_048_576, description="Largest request body the API reads; larger is 413."
    )
    api_upload_max_bytes: int = Field(
        1_048_576, ge=1_024, le=16_777_216,
        description="Largest CSV upload the API reads (payment reports, registration confirmations); "
        "larger is 413.",
    )
    api_upload_max_rows: int = Field(
        5_000, ge=1, le=100_000,
        description="Most data rows one CSV upload may hold; more is 422 csv_too_many_rows (split the file).",
    )
    api_rate_per_s: float = Field(
        5.0, gt=0, le=10_000, description="Requests per second each API key may sustain (token refill)."
    )
    api_rate_burst: int = Field(
        20, ge=1, le=100_000, description="Requests an API key may send at once (token bucket size)."
    )
    api_anonymous_rate_per_s: float = Field(
        1.0, gt=0, le=10_000,
        description="Requests per second a client address may sustain to /v1 without a valid key "
        "(token refill; over it is 429). Behind a proxy every client shares the proxy's address.",
    )
    api_anonymous_rate_burst: int = Field(
        10, ge=1, le=100_000,
        description="Requests without a valid key a client address may send at once (token bucket size).",
    )
    api_produce_timeout_s: float = Field(
        5.0, ge=1.0, le=120.0,
        description="How long a POST waits for the broker's acknowledgement before answering 503.",
    )
    api_idempotency_ttl_s: float = Field(
        86_400.0, ge=60.0, le=30 * 86_400.0,
        description="How long an Idempotency-Key's answer is replayed (in memory; ids stay deterministic).",
    )

    webhook_key: SecretStr | None = Field(
        None,
        description="HMAC key the sponsors' webhook signing secrets are derived from (webhooks.signing); "
        "the API and `jaring webhooks` need the same one, and changing it rotates every sponsor's secret. "
        "Unset: a development key in development; in production webhooks are off (the API answers 503 "
        "webhooks_not_configured, `jaring webhooks` does not start).",
    )
    webhook_host: str = Field("127.0.0.1", description="Bind address of `jaring webhooks` (health, metrics).")
    webhook_port: int = Field(6072, ge=1, le=65535, description="Port of `jaring webhooks`.")
    webhook_timeout_s: float = Field(
        10.0, ge=0.1, le=120.0, description="How long one delivery attempt waits for the endpoint's answer."
    )
    webhook_retry_first_s: float = Field(
        1.0, ge=0.01, le=3600.0, description="Wait after a first failed attempt; doubles each time."
    )
    webhook_retry_max_s: float = Field(
        600.0, ge=0.01, le=86_400.0, description="Longest wait between two attempts of one delivery."
    )
    webhook_retry_for_s: float = Field(
        86_400.0, ge=0.0, le=30 * 86_400.0,
        description="How long after its first attempt a delivery is still retried; then it is parked "
        "(on the delivery log, replayable).",
    )
    webhook_lane_max: int = Field(
        10_000, ge=1, le=1_000_000,
        description="Events waiting per sponsor while its endpoint fails; more are parked at once.",
    )
    webhook_allow_private_hosts: bool = Field(
        False,
        description="Accept http:// and endpoints on loopback or private addresses (tests, a city's own "
        "network); off, only https to public addresses is called (webhooks.addresses).",
    )

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.env != "development" and self.pseudonym_key.get_secret_value() == DEV_PSEUDONYM_KEY:
            raise ValueError(
                "settings_default_secret: set JARING_PSEUDONYM_KEY to a random secret "
                "of at least 32 bytes before running outside development"
            )
        if self.env != "development" and len(self.pseudonym_key.get_secret_value()) < 32:
            raise ValueError("settings_weak_secret: JARING_PSEUDONYM_KEY must be at least 32 bytes")
        webhook_key = None if self.webhook_key is None else self.webhook_key.get_secret_value()
        if self.env != "development" and webhook_key is not None and (
            webhook_key == DEV_WEBHOOK_KEY or len(webhook_key) < 32
        ):
            raise ValueError("settings_webhook_key: JARING_WEBHOOK_KEY must be 32 random bytes or more")
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError("settings_min_isr: JARING_MIN_INSYNC_REPLICAS exceeds JARING_REPLICATION_FACTOR")
        return self

    @model_validator(mode="after")
    def _kafka_security_is_complete(self) -> Settings:
        """A half-configured security setting must stop the process, not connect in clear text."""
        sasl = self.kafka_security_protocol.startswith("SASL_")
        tls = self.kafka_security_protocol.endswith("SSL")
        if sasl and not (self.kafka_sasl_username and self.kafka_sasl_password):
            raise ValueError(
                f"settings_sasl_incomplete: JARING_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} "
                "needs JARING_KAFKA_SASL_USERNAME and JARING_KAFKA_SASL_PASSWORD"
            )
        tls_files = (self.kafka_ssl_cafile, self.kafka_ssl_certfile, self.kafka_ssl_keyfile)
        if not tls and any(tls_files):
            raise ValueError(
                "settings_tls_unused: JARING_KAFKA_SSL_* files are set but JARING_KAFKA_SECURITY_PROTOCOL="
                f"{self.kafka_security_protocol} does not use TLS; set SSL or SASL_SSL"
            )
        if bool(self.kafka_ssl_certfile) != bool(self.kafka_ssl_keyfile):
            raise ValueError(
                "settings_tls_client_cert: "
                "set JARING_KAFKA_SSL_CERTFILE and JARING_KAFKA_SSL_KEYFILE together"
            )
        return self

    def webhook_signing_key(self) -> bytes | None:
        """The key webhook secrets derive from; the development key only in development, else None."""
        if self.webhook_key is not None:
            return self.webhook_key.get_secret_value().encode()
        return DEV_WEBHOOK_KEY.encode() if self.env == "development" else None

    def topic(self, name: str) -> str:
        """Full topic name, e.g. ``jaring.applications.v1``."""
        return f"{self.namespace}.{name}"

    def city_policy(self) -> CityPolicy:
        """The city's rules: ``policy_file`` read and validated, else Kendari's defaults.

        The one loader every process uses (the worker's matcher, the API's early
        checks), so the API refuses a pledge with the very bounds the engine applies.
        """
        if self.policy_file is None:
            return KENDARI
        return CityPolicy.model_validate_json(Path(self.policy_file).read_bytes())

    @property
    def engine_group(self) -> str:
        """The workers' Faust app id: their consumer group and their changelog topics' prefix."""
        return f"{self.namespace}-engine"
