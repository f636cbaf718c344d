"""API keys: who may call the API, in which role, for which sponsor.

A key is shown once, when created (``jaring keys create``), and stored only
as a salted SHA-256 hash in a JSON file (``JARING_API_KEYS_FILE``). A key is
``jk_<key_id>_<secret>``: the id finds the one record to check, so a request
costs one hash, and the secret is 32 random bytes. With 256 bits of entropy
nobody can search the key space, so a slow password KDF (scrypt, argon2)
would add latency to every request and no protection; those exist for
low-entropy secrets that people choose.

The sponsor a pledge is for comes from the key, never from the body: a
sponsor cannot pledge, or read, on another sponsor's behalf.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from models.events import Identifier, UtcDatetime

__all__ = [
    "SUBJECT_RULE",
    "Credential",
    "KeyFile",
    "KeyFileInvalidError",
    "KeyRecord",
    "Role",
    "is_subject",
    "issue",
]

SUBJECT_RULE = "1-64 letters, digits, '.', '_' or '-', starting with a letter or a digit (no ':')"
"""What a sponsor or officer id may be (``models.events.Identifier``), in words for an operator."""

_SUBJECT: TypeAdapter[str] = TypeAdapter(Identifier)


def is_subject(value: str) -> bool:
    """Whether ``value`` can be a key's subject: derived ids join subjects with ':'."""
    try:
        _SUBJECT.validate_python(value)
    except ValidationError:
        return False
    return True


class KeyFileInvalidError(Exception):
    """The key file exists but is not one this module wrote (edited by hand, truncated...)."""


_PREFIX = "jk"


class Role(StrEnum):
    """What a key may do: a sponsor pledges and reads its pledges; an officer submits applications
    (and works any payer's desk, naming the payer); a payer reports its payments and BPJS's answers."""

    SPONSOR = "sponsor"
    OFFICER = "officer"
    PAYER = "payer"


class KeyRecord(BaseModel):
    """One stored key: never the key itself, only its salted hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: Identifier
    role: Role
    subject: Identifier
    """The sponsor id (role sponsor), the officer's desk id (role officer) or the payer id (role payer)."""
    salt: str
    sha256: str
    created_at: UtcDatetime
    revoked: bool = False

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(_hash(self.salt, secret), self.sha256)


class Credential(BaseModel):
    """Who is calling, once the key checked out."""

    model_config = ConfigDict(frozen=True)

    key_id: str
    role: Role
    subject: str


class _Store(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: list[KeyRecord] = []


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def issue(role: Role, subject: str, now: datetime) -> tuple[str, KeyRecord]:
    """A new key (to show once) and the record to store."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    record = KeyRecord(
        key_id=key_id, role=role, subject=subject, salt=salt, sha256=_hash(salt, secret), created_at=now
    )
    return f"{_PREFIX}_{key_id}_{secret}", record


class KeyFile:
    """The JSON key file, re-read when it changes so that a revocation needs no restart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._by_id: dict[str, KeyRecord] = {}

    def records(self) -> list[KeyRecord]:
        self._refresh()
        return list(self._by_id.values())

    def authenticate(self, presented: str) -> Credential | None:
        """The credential a presented key stands for, or None (unknown, revoked or wrong)."""
        prefix, _, rest = presented.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != _PREFIX or not key_id or not secret:
            return None
        self._refresh()
        record = self._by_id.get(key_id)
        if record is None or record.revoked or not record.matches(secret):
            return None
        return Credential(key_id=record.key_id, role=record.role, subject=record.subject)

    def add(self, record: KeyRecord) -> None:
        self._write([*self.records(), record])

    def revoke(self, key_id: str) -> bool:
        records = self.records()
        if key_id not in {r.key_id for r in records}:
            return False
        self._write([r.model_copy(update={"revoked": True}) if r.key_id == key_id else r for r in records])
        return True

    def _refresh(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._by_id = None, {}
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            try:
                store = _Store.model_validate_json(self.path.read_bytes())
            except ValidationError as exc:
                # Not chained: pydantic's message quotes the file's values (hashes, salts).
                raise KeyFileInvalidError(
                    f"keys_file_invalid: {self.path} is not a Jaring key file ({exc.error_count()} "
                    "problems); restore it from a backup, or move it away and create the keys again"
                ) from None
            self._by_id = {r.key_id: r for r in store.keys}
            self._stamp = stamp

    def _write(self, records: list[KeyRecord]) -> None:
        """Atomically, readable by the owner only: the file holds hashes, not keys, but still."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = _Store(keys=records).model_dump_json(indent=2).encode()
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keys-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(payload)
            Path(tmp).replace(self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._stamp = None
