"""Who is calling: the bearer key, its role, and its share of the rate.

Order matters and is deliberate: an unauthenticated request is refused
before anything else is looked at (401), a known key is charged a token
before its role is checked (a wrong-role flood is still a flood), and only
then is the role checked (403).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.keys import Credential, Role
from api.problems import ProblemError
from api.ratelimit import RateLimiter
from api.services import Services

__all__ = ["Officer", "Sponsor", "services"]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key from `jaring keys create`, sent as `Authorization: Bearer jk_...`.",
)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def _caller(role: Role) -> Callable[..., Awaitable[Credential]]:
    async def authenticate(
        svc: Annotated[Services, Depends(services)],
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Credential:
        credential = svc.keys.authenticate(bearer.credentials) if bearer is not None else None
        if credential is None:
            raise ProblemError(
                401, "unauthenticated",
                "send 'Authorization: Bearer <key>' with a key from 'jaring keys create'",
                headers={"WWW-Authenticate": 'Bearer realm="jaring"'},
            )
        wait = svc.limiter.take(credential.key_id, svc.monotonic())
        if wait > 0:
            seconds = RateLimiter.retry_after(wait)
            raise ProblemError(
                429, "rate_limited", f"this key is over its rate; retry in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )
        if credential.role is not role:
            raise ProblemError(403, "wrong_role", f"this route needs a {role.value} key")
        return credential

    return authenticate


Sponsor = Annotated[Credential, Depends(_caller(Role.SPONSOR))]
Officer = Annotated[Credential, Depends(_caller(Role.OFFICER))]
