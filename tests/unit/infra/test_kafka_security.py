"""Settings to Kafka client arguments: plaintext, SCRAM, TLS and mutual TLS, for aiokafka and Faust alike."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from deploy.kafka.runner import free_port
from infra.kafka_security import (
    KafkaTlsError,
    bootstrap_addresses,
    check_tls,
    client_kwargs,
    security_kwargs,
)
from infra.settings import Settings
from streams.credentials import broker_credentials
from tests.system_tools import system_tool


def openssl(*args: str) -> None:
    subprocess.run([system_tool("openssl"), *args], check=True, capture_output=True)


def certificate(tmp_path: Path, name: str, key_password: str | None = None) -> tuple[Path, Path]:
    """A self-signed certificate and its key (encrypted when ``key_password`` is given)."""
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}-key.pem"
    secret = ["-passout", f"pass:{key_password}"] if key_password else ["-noenc"]
    openssl("req", "-x509", "-newkey", "rsa:2048", "-days", "1", "-subj", f"/CN={name}",
            "-keyout", str(key), "-out", str(cert), *secret)
    return cert, key


def test_plaintext_is_the_default_and_gives_faust_no_credentials() -> None:
    settings = Settings(kafka_bootstrap="b1:9092,b2:9092")

    assert client_kwargs(settings) == {"bootstrap_servers": "b1:9092,b2:9092",
                                       "security_protocol": "PLAINTEXT"}
    assert broker_credentials(security_kwargs(settings)) is None


def test_scram_over_tls_verifies_the_broker_against_the_given_ca(tmp_path: Path) -> None:
    ca, _ = certificate(tmp_path, "jaring-test-ca")
    settings = Settings(
        kafka_security_protocol="SASL_SSL", kafka_sasl_username="jaring",
        kafka_sasl_password=SecretStr("pw-1"), kafka_ssl_cafile=str(ca),
    )

    kwargs = client_kwargs(settings)
    context = kwargs["ssl_context"]

    assert (kwargs["security_protocol"], kwargs["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
    assert (kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == ("jaring", "pw-1")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "jaring-test-ca"),),)]


def test_faust_gets_the_same_arguments_as_every_other_client(tmp_path: Path) -> None:
    ca, _ = certificate(tmp_path, "ca")
    for protocol in ("SSL", "SASL_PLAINTEXT", "SASL_SSL"):
        settings = Settings(kafka_security_protocol=protocol, kafka_sasl_username="jaring",
                            kafka_sasl_password=SecretStr("pw"), kafka_ssl_cafile=str(ca)
                            if protocol.endswith("SSL") else None)
        kwargs = security_kwargs(settings)

        faust_kwargs = dict(credentials_to_aiokafka_auth(broker_credentials(kwargs)))

        assert {k: v for k, v in faust_kwargs.items() if v is not None} == kwargs, protocol


def test_mutual_tls_loads_an_encrypted_client_key_with_its_password(tmp_path: Path) -> None:
    ca, _ = certificate(tmp_path, "ca")
    cert, key = certificate(tmp_path, "worker-1", key_password="key-pw")
    settings = Settings(kafka_security_protocol="SSL", kafka_ssl_cafile=str(ca), kafka_ssl_certfile=str(cert),
                        kafka_ssl_keyfile=str(key), kafka_ssl_key_password=SecretStr("key-pw"))
    wrong = settings.model_copy(update={"kafka_ssl_key_password": SecretStr("nope")})

    assert isinstance(client_kwargs(settings)["ssl_context"], ssl.SSLContext)
    with pytest.raises(KafkaTlsError) as refused:
        client_kwargs(wrong)
    assert str(refused.value).startswith("kafka_tls_files: cannot load the client certificate")
    assert "JARING_KAFKA_SSL_KEY_PASSWORD" in str(refused.value) and "key-pw" not in str(refused.value)


def test_an_unreadable_ca_file_is_a_coded_error_naming_the_setting(tmp_path: Path) -> None:
    missing = Settings(kafka_security_protocol="SSL", kafka_ssl_cafile=str(tmp_path / "absent.pem"))
    (tmp_path / "garbage.pem").write_text("not a certificate")
    garbage = missing.model_copy(update={"kafka_ssl_cafile": str(tmp_path / "garbage.pem")})

    for settings in (missing, garbage):
        with pytest.raises(KafkaTlsError) as refused:
            check_tls(settings)
        assert str(refused.value).startswith(
            f"kafka_tls_files: cannot read JARING_KAFKA_SSL_CAFILE={settings.kafka_ssl_cafile} ("
        )


def test_the_tls_preflight_is_a_no_op_without_tls_and_leaves_an_unreachable_cluster_to_the_clients(
    tmp_path: Path,
) -> None:
    ca, _ = certificate(tmp_path, "ca")
    closed = f"127.0.0.1:{free_port()}"  # nothing listens there
    check_tls(Settings(kafka_bootstrap=closed))
    check_tls(Settings(kafka_bootstrap=closed, kafka_security_protocol="SSL", kafka_ssl_cafile=str(ca)),
              timeout=1.0)


@given(st.lists(st.tuples(st.sampled_from(["b1.example", "localhost", "10.0.0.7", "[::1]", "[fe80::1]"]),
                          st.integers(1, 65535)), min_size=1, max_size=5))
def test_bootstrap_servers_are_read_as_aiokafka_reads_them(servers: list[tuple[str, int]]) -> None:
    bootstrap = " , ".join(f"{host}:{port}" for host, port in servers)

    assert bootstrap_addresses(bootstrap) == [(host.strip("[]"), port) for host, port in servers]
    assert bootstrap_addresses("b1.example,[::1]") == [("b1.example", 9092), ("::1", 9092)]


def test_hostname_checking_can_be_turned_off_but_verification_stays(tmp_path: Path) -> None:
    ca, _ = certificate(tmp_path, "ca")
    settings = Settings(kafka_security_protocol="SSL", kafka_ssl_cafile=str(ca),
                        kafka_ssl_check_hostname=False)

    context = client_kwargs(settings)["ssl_context"]

    assert not context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"kafka_security_protocol": "SASL_SSL", "kafka_sasl_username": "u"}, "settings_sasl_incomplete"),
        ({"kafka_ssl_cafile": "/etc/ca.pem"}, "settings_tls_unused"),
        ({"kafka_security_protocol": "SSL", "kafka_ssl_certfile": "/etc/c.pem"}, "settings_tls_client_cert"),
    ],
    ids=["sasl-without-password", "ca-with-plaintext", "cert-without-key"],
)
def test_half_configured_security_is_refused(fields: dict[str, str], code: str) -> None:
    with pytest.raises(ValidationError, match=code):
        Settings(**fields)  # type: ignore[arg-type]


def test_the_sasl_password_is_masked_when_settings_are_printed() -> None:
    settings = Settings(kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="jaring",
                        kafka_sasl_password=SecretStr("very-secret-scram"))

    assert "very-secret-scram" not in repr(settings)
    assert "very-secret-scram" not in str(settings.model_dump())
