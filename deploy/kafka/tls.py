"""A throwaway certificate authority and the certificates a TLS test broker needs, made with ``openssl``.

Why made at test time: a committed key would be a key anyone can read, and a
committed certificate expires; these live in a temporary directory for one
run. Why ``openssl`` and not the JDK's ``keytool``: the broker reads PEM
files directly (``ssl.keystore.type=PEM``, Kafka 2.7+, KIP-651), Python's
``ssl`` reads PEM too, so one tool and one format serve both sides and no
JKS or PKCS#12 store (with its store password) is needed.

Each certificate's extensions are written into a configuration file of our
own (``-config``), so the result does not depend on the machine's
``openssl.cnf``. Keys are EC P-256: generated in milliseconds, accepted by
Java's and OpenSSL's TLS alike. Keys are unencrypted PKCS#8: Kafka's PEM
keystore reads PKCS#8 only, and a throwaway key in a private temporary
directory gains nothing from a password the test would have to pass around.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Pki", "make_ca", "make_pki"]

_CA_EXTENSIONS = """\
# May sign certificates (a verifier refuses an issuer without CA:TRUE), and nothing else.
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

_LEAF_EXTENSIONS = """\
# An end entity: may not sign certificates; usable for {usage} only.
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = {usage}
subjectKeyIdentifier = hash
# Names the issuing key, so a verifier finds the issuer in the CA bundle
# (Python 3.13's strict verification refuses a certificate without it).
authorityKeyIdentifier = keyid, issuer
"""


@dataclass(frozen=True)
class Pki:
    """The files of one throwaway CA, the broker's certificate it signed, and a client certificate."""

    ca: Path
    """The CA certificate: clients trust it (``JARING_KAFKA_SSL_CAFILE``); the broker checks theirs by it."""
    broker: Path
    """The broker's key and certificate chain in one PEM file (``ssl.keystore.location``)."""
    client_cert: Path
    """A client certificate the CA signed, for mutual TLS (``JARING_KAFKA_SSL_CERTFILE``)."""
    client_key: Path
    """Its key (``JARING_KAFKA_SSL_KEYFILE``)."""
    hosts: tuple[str, ...]
    """The names the broker's certificate carries: a client checking hostnames accepts these only."""


def make_pki(directory: Path, hosts: tuple[str, ...] = ("localhost", "127.0.0.1"), days: int = 2) -> Pki:
    """A CA, a broker certificate naming ``hosts``, and a client certificate, in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca, ca_key = make_ca(directory, "jaring-test-ca", days)
    broker_cert, broker_key = _leaf(directory, "broker", "serverAuth", hosts, ca, ca_key, days, serial=2)
    client_cert, client_key = _leaf(directory, "client", "clientAuth", (), ca, ca_key, days, serial=3)
    # The broker presents its own certificate and the CA's (the chain), and
    # finds its key in the same file: Kafka's PEM keystore wants them together.
    broker = directory / "broker-keystore.pem"
    broker.write_text(broker_key.read_text() + broker_cert.read_text() + ca.read_text())
    broker.chmod(0o600)
    return Pki(ca=ca, broker=broker, client_cert=client_cert, client_key=client_key, hosts=hosts)


def make_ca(directory: Path, name: str, days: int = 2) -> tuple[Path, Path]:
    """A self-signed CA certificate and its key: ``(certificate, key)``.

    A second one, which signed nothing the broker presents, is what a client
    configured with the wrong CA bundle trusts.
    """
    key = _key(directory / f"{name}-key.pem")
    cert = directory / f"{name}.pem"
    config = _config(directory / f"{name}.cnf", name, _CA_EXTENSIONS)
    _openssl("req", "-new", "-x509", "-config", str(config), "-extensions", "ext", "-key", str(key),
             "-days", str(days), "-sha256", "-out", str(cert))
    return cert, key


def _leaf(directory: Path, name: str, usage: str, hosts: tuple[str, ...], ca: Path, ca_key: Path,
          days: int, serial: int) -> tuple[Path, Path]:
    """A certificate for ``name`` signed by the CA: a request, then the CA's signature over it."""
    key = _key(directory / f"{name}-key.pem")
    extensions = _LEAF_EXTENSIONS.format(usage=usage)
    if hosts:
        # Hostname checking reads the subjectAltName only (RFC 6125; the CN is
        # ignored when SANs exist), and an address must be an IP entry, a
        # name a DNS entry, or a client connecting by it is refused.
        extensions += "subjectAltName = " + ", ".join(_san(host) for host in hosts) + "\n"
    config = _config(directory / f"{name}.cnf", f"jaring-test-{name}", extensions)
    request = directory / f"{name}.csr"
    cert = directory / f"{name}.pem"
    _openssl("req", "-new", "-config", str(config), "-key", str(key), "-out", str(request))
    _openssl("x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key),
             "-set_serial", str(serial), "-days", str(days), "-sha256",
             "-extfile", str(config), "-extensions", "ext", "-out", str(cert))
    return cert, key


def _san(host: str) -> str:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return f"DNS:{host}"
    return f"IP:{host}"


def _key(path: Path) -> Path:
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(path))
    path.chmod(0o600)
    return path


def _config(path: Path, common_name: str, extensions: str) -> Path:
    path.write_text(
        "[req]\nprompt = no\ndistinguished_name = dn\n"
        f"[dn]\nCN = {common_name}\nO = Jaring test PKI\n"
        f"[ext]\n{extensions}"
    )
    return path


def _openssl(*args: str) -> None:
    tool = shutil.which("openssl")
    if tool is None:
        raise RuntimeError("openssl_missing: install openssl to make the test broker's certificates")
    result = subprocess.run([tool, *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"openssl_failed: openssl {args[0]}: {result.stderr.strip()}")
