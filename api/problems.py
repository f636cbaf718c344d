"""Every error the API answers, as RFC 9457 ``application/problem+json``.

Each problem has a stable ``code`` (also the tail of ``type``,
``urn:jaring:problem:<code>``) and a ``detail`` sentence that says what to
do. Codes are part of the contract: add new ones, never rename.

=============================  ======  ==============================================
code                           status  meaning
=============================  ======  ==============================================
``body_not_json``              400     the body is not a JSON document
``idempotency_key_missing``    400     POSTs need an ``Idempotency-Key`` header
``unauthenticated``            401     no key, or a key that is unknown or revoked
``wrong_role``                 403     a sponsor key on the officer route or vice versa
``not_found``                  404     no such pledge for this sponsor, or no such route
``method_not_allowed``         405     the route exists, the method does not
``idempotency_key_in_flight``  409     the first request with this key is still running
``body_too_large``             413     the body is over ``JARING_API_MAX_BODY_BYTES``
``invalid_body``               422     a field is missing, unknown or out of range
``idempotency_key_reused``     422     the key was used before with another body
``rate_limited``               429     over the per-key rate; wait ``Retry-After`` seconds
``kafka_unavailable``          503     the broker did not acknowledge; retry (same key)
``not_ready``                  503     the API has not reached the broker yet
=============================  ======  ==============================================

Validation problems list each field's path and what is wrong, never the
value sent: an application's body holds a NIK and a name (UU 27/2022).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.bodies import Problem

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "ProblemError",
    "body_too_large",
    "install_handlers",
    "problem_response",
    "responses",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class ProblemError(Exception):
    """Raised anywhere in a request; answered as a problem document."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{code}: {detail}")
        self.status, self.code, self.detail = status, code, detail
        self.headers, self.errors = dict(headers or {}), errors


def problem_response(error: ProblemError) -> JSONResponse:
    body = Problem(
        type=f"urn:jaring:problem:{error.code}",
        code=error.code,
        title=_TITLES.get(error.status, "Error"),
        status=error.status,
        detail=error.detail,
        errors=error.errors,
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=error.status,
        headers=error.headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _from_validation(exc: RequestValidationError) -> ProblemError:
    errors = exc.errors()
    if any(e["loc"][:2] == ("header", "Idempotency-Key") for e in errors):
        return ProblemError(
            400, "idempotency_key_missing",
            "send an Idempotency-Key header (1-255 characters, a UUID is fine) and reuse it on retries",
        )
    if any(e["type"] == "json_invalid" for e in errors):
        return ProblemError(400, "body_not_json", "send the body as a UTF-8 JSON object")
    fields = [
        {"field": ".".join(str(p) for p in e["loc"][1:]) or "body", "problem": e["msg"], "kind": e["type"]}
        for e in errors
    ]
    where = ", ".join(f["field"] for f in fields[:5])
    return ProblemError(
        422, "invalid_body", f"fix these fields and resend: {where} (see errors)", errors=fields
    )


async def _on_problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(exc)


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(_from_validation(exc))


def body_too_large(limit: int) -> ProblemError:
    return ProblemError(
        413, "body_too_large", f"send at most {limit} bytes; split a large request into several"
    )


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 413:
        return problem_response(body_too_large(int(request.app.state.max_body_bytes)))
    if exc.status_code == 405:
        return problem_response(ProblemError(
            405, "method_not_allowed", "use one of the methods in the Allow header", headers=exc.headers
        ))
    if exc.status_code == 404:
        return problem_response(ProblemError(404, "not_found", "see /openapi.json for the routes"))
    return problem_response(ProblemError(exc.status_code, "http_error", str(exc.detail)))


def install_handlers(app: Any) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)


_DESCRIPTIONS = {
    400: "No Idempotency-Key, or a body that is not JSON.",
    401: "Missing, unknown or revoked API key.",
    403: "The key's role may not use this route.",
    404: "No such pledge for this sponsor.",
    409: "The first request with this Idempotency-Key is still in flight.",
    413: "The body is larger than the limit.",
    422: "Invalid body, or an Idempotency-Key reused with another body.",
    429: "Over the per-key rate limit (see Retry-After).",
    503: "The broker did not acknowledge, or is not reachable yet (see Retry-After).",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entry for these problem statuses."""
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
