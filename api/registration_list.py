"""The payer's registration list: pending seats joined with the NIK and name of their applications.

This is the one place NIK and name leave the input side. The engine's
outputs carry only the keyed pseudonym (``models.nik.pseudonym``), so the API
reads the applications topic (``applications.v1``) from its first record with
the shared replay reader (``infra.replay``), computes each application's
pseudonym with the same key the engine uses (``JARING_PSEUDONYM_KEY``) and
keeps ONLY the applications whose pseudonym is pending for this payer, in the
seat's region. Everything else is dropped as it is read; what is kept lives
for the request and is never cached, logged or counted by value.

A worker who applied more than once (a correction, a re-application after a
rejected registration) appears with their latest application in the
region's partition order: the one the engine read last.

The scan reads every application ever submitted: its cost is the topic's
size (about 20 µs a record, most of it decoding), which is why the list is
scanned per download rather than held; the download is rare and the data too
sensitive to hold in memory between requests.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import date
from typing import NamedTuple, Protocol

from api.payer_model import PendingRegistration
from infra.replay import ReplayReader
from infra.settings import Settings
from models.events import ApplicationSubmitted, Event
from models.nik import pseudonym
from models.topics import APPLICATIONS

__all__ = ["CSV_COLUMNS", "RegistrationRow", "ScanTimeoutError", "join", "scan_applications"]

CSV_COLUMNS = (
    "coverage_id", "nik", "name", "birth_date", "sex", "district", "occupation", "pledge_id",
    "registration_due_period",
)
"""The CSV's header, in order (README "Registration list")."""


class RegistrationRow(NamedTuple):
    """One registration the payer submits to BPJS. Personal data: never log it."""

    coverage_id: str
    nik: str
    name: str
    birth_date: date
    sex: str
    district: str
    occupation: str
    pledge_id: str
    sponsor_id: str
    region: str
    registration_due_period: str

    def csv_row(self) -> tuple[str, ...]:
        return (self.coverage_id, self.nik, self.name, self.birth_date.isoformat(), self.sex, self.district,
                self.occupation, self.pledge_id, self.registration_due_period)


class Scan(Protocol):
    """What the scan needs of a reader (``infra.replay.ReplayReader``)."""

    caught_up: asyncio.Event

    async def run(self) -> None: ...


class ScanTimeoutError(Exception):
    """The applications topic could not be read to its end in time (Kafka unreachable or slow)."""


class _Keeper:
    """The fold of one scan: keeps the latest application of each wanted (pseudonym, region)."""

    def __init__(self, wanted: set[tuple[str, str]], key: bytes) -> None:
        self.wanted, self.key = wanted, key
        self.found: dict[tuple[str, str], ApplicationSubmitted] = {}

    def __call__(self, _topic: str, event: Event) -> None:
        if not isinstance(event, ApplicationSubmitted):
            return
        wanted = (pseudonym(event.nik, self.key), event.regency)
        if wanted in self.wanted:
            self.found[wanted] = event


def join(pending: Sequence[PendingRegistration], found: dict[tuple[str, str], ApplicationSubmitted]
         ) -> list[RegistrationRow]:
    """The rows of the pending seats whose application was found, in the order of ``pending``."""
    rows = []
    for seat in pending:
        app = found.get((seat.worker, seat.region))
        if app is not None:
            rows.append(RegistrationRow(
                seat.coverage_id, app.nik, app.name, app.birth_date, app.sex.value, seat.district,
                seat.occupation, seat.pledge_id, seat.sponsor_id, seat.region, seat.registration_due_period,
            ))
    return rows


async def scan_applications(
    settings: Settings,
    pending: Sequence[PendingRegistration],
    timeout_s: float,
    reader: Callable[..., Scan] = ReplayReader,
) -> list[RegistrationRow]:
    """Read ``applications.v1`` to its end and join it with ``pending``; ``ScanTimeoutError`` if it
    cannot be read to its end within ``timeout_s``."""
    if not pending:
        return []
    keeper = _Keeper({(p.worker, p.region) for p in pending},
                     settings.pseudonym_key.get_secret_value().encode())
    scan = reader(settings, [settings.topic(APPLICATIONS.name)], keeper, client_id="jaring-api-registrations")
    task = asyncio.get_running_loop().create_task(scan.run())
    try:
        async with asyncio.timeout(timeout_s):
            await scan.caught_up.wait()
    except TimeoutError:
        raise ScanTimeoutError(f"applications not read to their end within {timeout_s:.0f} s") from None
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return join(pending, keeper.found)
