"""Who is calling: the bearer key, its role, and its share of the rate.

Every path under ``/v1`` needs a key, and ``CallerGate`` decides who is
calling before a byte of the body is read, in this order:

1. A request without a valid key (none, unknown, revoked or malformed) is
   charged to its client address's bucket (``JARING_API_ANONYMOUS_RATE_*``;
   IPv6 by /64, the block one subscriber gets) and answered 429 over it,
   else 401. Nothing else is looked at: an anonymous client learns nothing
   about bodies (no 400, 413, 415 or 422, even for a body over the limit,
   which is never read) nor about which ``/v1`` routes exist (no 404, 405).
2. A valid key is charged a token from its own bucket (429), whatever its
   body: a flood of bad bodies, or of wrong-role calls, is still a flood.
3. The route's dependency checks the key's role (403): a sponsor pledges,
   an officer applies, a payer (or an officer at a payer's desk) pays.

A valid key is never refused for its address's anonymous traffic: behind a
proxy every client shares the proxy's address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from api.keys import Credential, Role
from api.problems import ProblemError, problem_response
from api.ratelimit import RateLimiter
from api.services import Services

__all__ = [
    "GUARDED_PREFIX",
    "CallerGate",
    "Officer",
    "Payer",
    "PayerDesk",
    "Sponsor",
    "acting_payer",
    "client_bucket",
    "services",
]

GUARDED_PREFIX = "/v1"

_CREDENTIAL = "jaring_credential"
"""Where the gate leaves the credential in the request scope's state for the route."""

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key from `jaring keys create`, sent as `Authorization: Bearer jk_...`.",
)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def _unauthenticated() -> ProblemError:
    return ProblemError(
        401, "unauthenticated",
        "send 'Authorization: Bearer <key>' with a key from 'jaring keys create'",
        headers={"WWW-Authenticate": 'Bearer realm="jaring"'},
    )


def _rate_limited(wait_s: float, who: str) -> ProblemError:
    seconds = RateLimiter.retry_after(wait_s)
    return ProblemError(
        429, "rate_limited", f"{who} is over its rate; retry in {seconds} s",
        headers={"Retry-After": str(seconds)},
    )


def _guarded(path: str) -> bool:
    return path == GUARDED_PREFIX or path.startswith(GUARDED_PREFIX + "/")


def _presented_key(scope: Scope) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (the scheme is case-insensitive)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


def client_bucket(scope: Scope) -> str:
    """The anonymous bucket of a connection: its IPv4 address, or its IPv6 /64 network."""
    client = scope.get("client")
    host = client[0] if client else None
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return f"host:{host}"  # a unix socket or a test transport: one bucket per name
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class CallerGate:
    """ASGI middleware: authenticate and rate-limit every ``/v1`` request before its body is read."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app, self.svc = app, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _guarded(scope["path"]):
            await self.app(scope, receive, send)
            return
        presented = _presented_key(scope)
        credential = self.svc.keys.authenticate(presented) if presented is not None else None
        now = self.svc.monotonic()
        error: ProblemError | None = None
        if credential is None:
            wait = self.svc.anonymous_limiter.take(client_bucket(scope), now)
            anonymous = "this address, without a valid key,"
            error = _rate_limited(wait, anonymous) if wait > 0 else _unauthenticated()
        elif (wait := self.svc.limiter.take(credential.key_id, now)) > 0:
            error = _rate_limited(wait, "this key")
        if error is not None:
            await problem_response(error)(scope, receive, send)
            return
        scope.setdefault("state", {})[_CREDENTIAL] = credential
        await self.app(scope, receive, send)


def _caller(*roles: Role) -> Callable[..., Awaitable[Credential]]:
    async def authenticate(
        request: Request,
        # Not read here (the gate did that), but it puts the bearer scheme in the OpenAPI document.
        _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Credential:
        credential = request.scope.get("state", {}).get(_CREDENTIAL)
        if not isinstance(credential, Credential):
            raise _unauthenticated()  # a keyed route outside /v1 would land here: refuse, never guess
        if credential.role not in roles:
            needed = " or ".join(r.value for r in roles)
            raise ProblemError(403, "wrong_role", f"this route needs a {needed} key")
        return credential

    return authenticate


Sponsor = Annotated[Credential, Depends(_caller(Role.SPONSOR))]
Officer = Annotated[Credential, Depends(_caller(Role.OFFICER))]
Payer = Annotated[Credential, Depends(_caller(Role.PAYER))]
PayerDesk = Annotated[Credential, Depends(_caller(Role.PAYER, Role.OFFICER))]
"""A payer's own key, or an officer's acting for a payer it names (``acting_payer``)."""


def acting_payer(who: Credential, named: str | None) -> str:
    """The payer a payer-desk request is for: the key's own, or the one an officer names.

    A payer key acts for itself only: naming another payer is refused (403), never
    quietly replaced, so a desk that mixed up its keys finds out at once. An officer
    acts for any payer and must say which (422 ``payer_id_missing``).
    """
    if who.role is Role.PAYER:
        if named is not None and named != who.subject:
            raise ProblemError(
                403, "payer_not_yours",
                "a payer key reports for its own payer only; leave payer_id out, or use that payer's key",
            )
        return who.subject
    if named is None:
        raise ProblemError(
            422, "payer_id_missing",
            "an officer acts for a payer it names: send payer_id (the payer on the bill or the pledge)",
            errors=[{"field": "payer_id", "problem": "required for an officer key", "kind": "missing"}],
        )
    return named
