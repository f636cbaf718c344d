"""Refuse request bodies the API will not read, before they are read into memory.

A declared ``Content-Length`` over the limit is refused at once; a chunked
body is counted as it arrives and refused as soon as it passes the limit,
so a client cannot make the API buffer an unbounded body either way. A
route that takes a JSON body refuses any other ``Content-Type`` (or none)
with 415, which says what to send, rather than a 422 about the body's
shape. This runs after ``api.auth.CallerGate``: an anonymous client gets
401 whatever its body.
"""

from __future__ import annotations

import email.message
from collections.abc import Mapping, Sequence

from fastapi import HTTPException
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import body_too_large, problem_response, unsupported_media_type

__all__ = ["BodyLimitMiddleware", "is_json"]


def is_json(content_type: str) -> bool:
    """What FastAPI parses as JSON: ``application/json`` or ``application/*+json``, any parameters."""
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    json_subtype = subtype == "json" or subtype.endswith("+json")
    return message.get_content_maintype() == "application" and json_subtype


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        routes: Sequence[BaseRoute],
        uploads: Mapping[str, int] | None = None,
    ) -> None:
        self.app, self.max_bytes, self.routes = app, max_bytes, routes
        self.uploads = dict(uploads or {})
        """Path -> its own limit, for the CSV uploads (``JARING_API_UPLOAD_MAX_BYTES``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit = self.uploads.get(scope["path"], self.max_bytes)
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await problem_response(body_too_large(limit))(scope, receive, send)
            return
        if self._takes_json(scope) and not is_json(headers.get(b"content-type", b"").decode("latin-1")):
            await problem_response(unsupported_media_type())(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException passes FastAPI's body parsing untouched (others become
                    # a 400) and reaches the problem handlers, which answer body_too_large.
                    raise HTTPException(413, detail=str(limit))
            return message

        await self.app(scope, counted, send)

    def _takes_json(self, scope: Scope) -> bool:
        """Whether the route this request reaches (path and method) reads a JSON body."""
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return isinstance(route, APIRoute) and route.body_field is not None
        return False
