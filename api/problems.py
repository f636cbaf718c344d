"""Every error the API answers, as RFC 9457 ``application/problem+json``.

Each problem has a stable ``code`` (also the tail of ``type``,
``urn:jaring:problem:<code>``) and a ``detail`` sentence that says what to
do. Codes are part of the contract: add new ones, never rename.

===============================  ======  ==============================================
code                             status  meaning
===============================  ======  ==============================================
``body_not_json``                400     the body is not a UTF-8 JSON document
``body_too_deep``                400     the JSON is nested too deeply to read
``idempotency_key_missing``      400     POSTs need an ``Idempotency-Key`` header
``idempotency_key_invalid``      400     the ``Idempotency-Key`` is not 1-255 characters
``unauthenticated``              401     no key, or a key that is unknown or revoked
``wrong_role``                   403     a key of a role the route does not take
``payer_not_yours``              403     a payer key naming another payer
``bill_not_yours``               403     a payer key paying a bill id naming another payer
``not_found``                    404     no such pledge for this sponsor, bill for this payer, or route
``method_not_allowed``           405     the route exists, the method does not
``idempotency_key_in_flight``    409     the first request with this key is still running
``bill_lines_archived``          410     the bill is settled and its lines are past the window kept
``body_too_large``               413     the body is over ``JARING_API_MAX_BODY_BYTES``
``unsupported_media_type``       415     a body sent as anything but ``application/json``
                                        (an upload: anything but UTF-8 ``text/csv``)
``invalid_body``                 422     a field is missing, unknown or out of range
``payer_id_missing``             422     an officer at a payer's desk names no payer
``csv_encoding_invalid``         422     an upload that is not UTF-8
``csv_malformed``                422     an upload that is not CSV (stray quote, NUL)
``csv_empty``                    422     an upload without a header or without rows
``csv_column_missing``           422     an upload's header lacks a column
``csv_header_invalid``           422     an upload's header has unknown or repeated columns
``csv_too_many_rows``            422     an upload over ``JARING_API_UPLOAD_MAX_ROWS``
``csv_rows_invalid``             422     an upload none of whose rows is valid
``idempotency_key_reused``       422     the key was used before with another body
``rate_limited``                 429     over the per-key (or per-address) rate
``idempotency_keys_exhausted``   429     a new key from a subject at its idempotency caps
``internal_error``               500     a fault in the API; nothing about it is told
``kafka_unavailable``            503     the broker did not acknowledge; retry (same key)
``not_ready``                    503     the API has not reached the broker yet
``idempotency_store_full``       503     a new key while the idempotency store is at its caps
``webhooks_not_configured``      503     webhooks asked of an API without ``JARING_WEBHOOK_KEY``
``registrations_unavailable``    503     the applications topic could not be read in time
``http_error``                   4xx     any other refusal by the web framework itself
===============================  ======  ==============================================

Validation problems list each field's path and what is wrong, never the
value sent: an application's body holds a NIK and a name (UU 27/2022).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.bodies import Problem

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "InternalErrorMiddleware",
    "ProblemError",
    "body_too_large",
    "install_handlers",
    "internal_error",
    "problem_response",
    "responses",
    "unsupported_media_type",
]

log = logging.getLogger("jaring.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    413: "Content Too Large",
    415: "Unsupported Media Type",
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
    key_errors = [e for e in errors if e["loc"][:2] == ("header", "Idempotency-Key")]
    if any(e["type"] == "missing" for e in key_errors):
        return ProblemError(
            400, "idempotency_key_missing",
            "send an Idempotency-Key header (1-255 characters, a UUID is fine) and reuse it on retries",
        )
    if key_errors:
        return ProblemError(
            400, "idempotency_key_invalid",
            "send an Idempotency-Key of 1-255 characters (a UUID is fine) and reuse it on retries",
        )
    if any(e["type"] == "json_invalid" for e in errors):
        return _not_json()
    fields = [
        {"field": ".".join(str(p) for p in e["loc"][1:]) or "body", "problem": e["msg"], "kind": e["type"]}
        for e in errors
    ]
    where = ", ".join(f["field"] for f in fields[:5])
    return ProblemError(
        422, "invalid_body", f"fix these fields and resend: {where} (see errors)", errors=fields
    )


def _not_json() -> ProblemError:
    return ProblemError(400, "body_not_json", "send the body as a UTF-8 JSON object")


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


def unsupported_media_type() -> ProblemError:
    return ProblemError(
        415, "unsupported_media_type", "send the body as JSON with 'Content-Type: application/json'"
    )


def internal_error() -> ProblemError:
    return ProblemError(
        500, "internal_error",
        "the API failed to answer this request; retry later, and if it persists tell the operator "
        "the time of the request",
    )


def _allowed(request: Request) -> str:
    """Every method some route of this path takes: Starlette's 405 names only the first route's, and a
    path served by several routes (``/v1/webhook``: GET, PUT, DELETE) would be misdescribed. A path
    that a fixed route names (``/v1/applications/lookup``) is that route's, not a templated one's."""
    fixed: set[str] = set()
    templated: set[str] = set()
    routes = list(request.app.routes)
    while routes:
        route = routes.pop()
        routes.extend(getattr(route, "routes", ()))  # a router holds its own routes
        routes.extend(getattr(getattr(route, "original_router", None), "routes", ()))  # lazy include
        regex, taken = getattr(route, "path_regex", None), getattr(route, "methods", None)
        if regex is not None and taken and regex.match(request.url.path):
            (templated if "{" in getattr(route, "path", "") else fixed).update(taken)
    return ", ".join(sorted(fixed or templated))


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI's "error parsing the body": a decoder failure other than a JSON syntax error.
        if isinstance(exc.__cause__, RecursionError):
            return problem_response(ProblemError(
                400, "body_too_deep",
                "the JSON is nested too deeply to read; Jaring's bodies nest at most 3 levels",
            ))
        return problem_response(_not_json())
    if exc.status_code == 413:
        limit = str(exc.detail) if str(exc.detail).isdigit() else request.app.state.max_body_bytes
        return problem_response(body_too_large(int(limit)))
    if exc.status_code == 405:
        return problem_response(ProblemError(
            405, "method_not_allowed", "use one of the methods in the Allow header",
            headers={**(exc.headers or {}), **({"Allow": allowed} if (allowed := _allowed(request)) else {})},
        ))
    if exc.status_code == 404:
        return problem_response(ProblemError(404, "not_found", "see /openapi.json for the routes"))
    # No other status is raised by FastAPI or Starlette for this app today; a new one still
    # answers as a problem, under a documented code, rather than as FastAPI's plain JSON.
    return problem_response(ProblemError(exc.status_code, "http_error", str(exc.detail)))


class InternalErrorMiddleware:
    """A fault anywhere below answers ``500 internal_error`` as a problem, and tells nothing.

    Starlette would answer plain text and hand the exception to the server, which logs its
    message; a message can quote a value (pydantic's do), and a value can be a NIK. The log
    gets the exception's type and where it was raised, never its message.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            where = "".join(traceback.format_tb(exc.__traceback__))
            log.error("internal_error: %s on %s %s\n%s", type(exc).__name__, scope["method"], scope["path"],
                      where.rstrip())
            if started:
                raise  # half an answer is out: the server can only close the connection
            await problem_response(internal_error())(scope, receive, send)


def install_handlers(app: Any) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)


_DESCRIPTIONS = {
    400: "No Idempotency-Key or an invalid one, or a body that is not JSON or nested too deeply.",
    401: "Missing, unknown or revoked API key.",
    403: "The key's role may not use this route, or a payer key acts for another payer or its bill.",
    404: "No such pledge for this sponsor, no such issued bill for this payer, or no such payer.",
    409: "The first request with this Idempotency-Key is still in flight.",
    410: "The bill is settled and older than the closed months whose lines the API keeps.",
    413: "The body is larger than the limit.",
    415: "The body is not sent as application/json (a CSV upload: as text/csv).",
    422: "Invalid body or CSV upload, or an Idempotency-Key reused with another body.",
    429: "Over the per-key rate limit, or the per-address one without a valid key, or the key holds as many "
    "Idempotency-Keys as it may (see Retry-After).",
    503: "The broker did not acknowledge, or is not reachable yet, or the API holds as many Idempotency-Keys "
    "as it may (see Retry-After).",
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
