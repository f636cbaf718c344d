"""Settings: one frozen class from JARING_* variables, refusing unsafe production defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from infra.settings import Settings


def test_development_runs_with_the_development_key() -> None:
    assert Settings(env="development").namespace == "jaring"


def test_production_refuses_the_development_pseudonym_key() -> None:
    with pytest.raises(ValidationError, match="settings_default_secret"):
        Settings(env="production")


def test_production_refuses_a_short_pseudonym_key() -> None:
    with pytest.raises(ValidationError, match="settings_weak_secret"):
        Settings(env="production", pseudonym_key="too-short")


def test_secrets_are_masked_when_settings_are_printed() -> None:
    secret = "s" * 40
    settings = Settings(env="production", pseudonym_key=secret)

    assert secret not in repr(settings)
    assert secret not in str(settings.model_dump())


def test_settings_are_read_from_jaring_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARING_NAMESPACE", "kendari")
    monkeypatch.setenv("JARING_TOPIC_PARTITIONS", "12")

    settings = Settings()

    assert (settings.namespace, settings.topic_partitions) == ("kendari", 12)
    assert settings.topic("coverage.v1") == "kendari.coverage.v1"


def test_min_insync_replicas_cannot_exceed_replication() -> None:
    with pytest.raises(ValidationError, match="settings_min_isr"):
        Settings(replication_factor=1, min_insync_replicas=2)


@pytest.mark.parametrize("level", ["debug", "info", "warning", "error"])
def test_every_log_level_setting_is_one_faust_accepts(level: str) -> None:
    from jaring.cli import faust_log_level

    assert faust_log_level(Settings(log_level=level).log_level) in {"crit", "error", "warn", "info", "debug"}


def test_a_rocksdb_store_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """RocksDB was removed (ARCHITECTURE.md, Decisions): asking for it must fail loudly, not run on
    a store whose local state a SIGKILL can leave ahead of its changelog."""
    monkeypatch.setenv("JARING_STORE", "rocksdb://")
    with pytest.raises(ValidationError, match="memory://"):
        Settings()
    monkeypatch.setenv("JARING_STORE", "memory://")
    assert Settings().store == "memory://"


def test_webhook_secrets_derive_from_a_development_key_only_in_development() -> None:
    assert Settings(env="development").webhook_signing_key() is not None
    assert Settings(env="production", pseudonym_key="p" * 40).webhook_signing_key() is None
    production = Settings(env="production", pseudonym_key="p" * 40, webhook_key="w" * 40)
    assert production.webhook_signing_key() == b"w" * 40


@pytest.mark.parametrize("key", ["too-short", "jaring-development-only-webhook-key"])
def test_production_refuses_a_weak_webhook_key(key: str) -> None:
    with pytest.raises(ValidationError, match="settings_webhook_key"):
        Settings(env="production", pseudonym_key="p" * 40, webhook_key=key)
