"""The signing secret and the signature: HMAC-SHA256 over the timestamp and the body.

The scheme is the one well-known payment platforms use (Stripe's
``t=...,v1=...``): the header ``Jaring-Signature: t=<unix seconds>,v1=<hex>``
where ``hex = HMAC-SHA256(secret, "<t>." + body)``. Signing the timestamp
with the body lets a receiver refuse a replayed request older than its
tolerance (5 minutes is usual), and ``v1`` leaves room for a second scheme
during a rotation.

The secret is never stored: it is ``whsec_`` + base64url(HMAC-SHA256(the
operator's ``JARING_WEBHOOK_KEY``, "<sponsor>:<nonce>")), where the nonce is
on the registration record. The API shows it once; the delivery process
derives it again; a new registration (a new nonce) rotates it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["HEADER", "parse", "secret_for", "sign", "verify"]

HEADER = "Jaring-Signature"


def secret_for(key: bytes, sponsor_id: str, nonce: str) -> str:
    """The sponsor's signing secret for the registration carrying ``nonce``."""
    digest = hmac.new(key, f"{sponsor_id}:{nonce}".encode(), hashlib.sha256).digest()
    return "whsec_" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Jaring-Signature`` header's value for ``body`` sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def parse(header: str) -> tuple[int, list[str]] | None:
    """The timestamp and the ``v1`` signatures of a header; None when it is malformed."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            signatures.append(value)
    return None if timestamp is None or not signatures else (timestamp, signatures)


def verify(header: str, secret: str, body: bytes, now: int, tolerance_s: int = 300) -> bool:
    """What a receiver does: a well-formed header, a fresh timestamp, and a matching signature."""
    parsed = parse(header)
    if parsed is None:
        return False
    timestamp, signatures = parsed
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body).partition(",v1=")[2]
    return any(hmac.compare_digest(expected, s) for s in signatures)
