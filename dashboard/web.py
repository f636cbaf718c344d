"""The dashboard's HTTP surface (aiohttp): the page, its snapshot as JSON, and a server-sent event stream.

| GET | returns |
| --- | --- |
| ``/`` | the page (``?lang=en`` for English, ``?region=74.71`` for one region) |
| ``/v1/snapshot`` | the region's view as JSON (``dashboard.snapshot.CitySnapshot``) |
| ``/v1/stream`` | ``text/event-stream``: the snapshot now, then each change (at most every 0.5 s) |
| ``/healthz`` | 200 once the read model is rebuilt from the topics, 503 before |

``region`` is one of the regions the city serves (``CityView.regions``, from
its policy); without it, the first of them. Anything else is refused rather
than shown as an empty region: ``400 region_invalid`` for what is not
exactly one code of the form ``74.71`` (a trailing newline included),
``404 region_not_served`` for a well-formed code the city does not serve.

The page loads nothing from elsewhere (no CDN: the machines it runs on may
not reach one), and a Content-Security-Policy of ``'self'`` says so to the
browser. Errors are problem objects with a stable ``type`` code.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from html import escape
from pathlib import Path
from string import Template

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from dashboard.labels import labels, language
from dashboard.push import Hub, snapshot_json
from dashboard.read_model import CityView
from models.codec import dumps

__all__ = ["STATIC", "build_app"]

STATIC = Path(__file__).parent / "static"
HEARTBEAT_S = 15.0
"""A comment line this often keeps proxies and phones from closing an idle stream."""

_REGION = re.compile(r"[0-9]{2}\.[0-9]{2}")
"""Matched with ``fullmatch``: ``$`` would let a trailing newline through."""
_PAGE = Template((Path(__file__).parent / "page.html").read_text(encoding="utf-8"))
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_VIEW: web.AppKey[CityView] = web.AppKey("view", CityView)
_HUB: web.AppKey[Hub] = web.AppKey("hub", Hub)
_READY: web.AppKey[Callable[[], bool]] = web.AppKey("ready")


def _problem(status: int, code: str, detail: str) -> web.Response:
    body = {"type": code, "title": code, "status": status, "detail": detail}
    return web.json_response(body, status=status, content_type="application/problem+json", dumps=_text)


def _text(value: object) -> str:
    return dumps(value).decode()


def _region(request: web.Request) -> str | web.Response:
    """The region asked for, or the city's first; a problem for anything the city does not serve."""
    served = request.app[_VIEW].regions()
    asked = request.query.getall("region", [])
    if not asked:
        return served[0]
    if len(asked) > 1 or not _REGION.fullmatch(asked[0]):
        return _problem(400, "region_invalid", "use one regency code such as 74.71, or leave region out")
    if asked[0] not in served:
        return _problem(
            404, "region_not_served",
            f"this dashboard shows {', '.join(served)}; use one of them, or leave region out",
        )
    return asked[0]


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response, streams included, before its headers leave."""
    response.headers.update(_HEADERS)


async def _page(request: web.Request) -> web.StreamResponse:
    region = _region(request)
    if isinstance(region, web.Response):
        return region
    lang = language(request.query.get("lang"))
    words = labels(lang)
    other = "id" if lang == "en" else "en"
    switch = f"?lang={other}" + (f"&region={region}" if "region" in request.query else "")
    config = {"labels": dict(words), "lang": lang, "region": region}
    html = _PAGE.substitute(
        lang=lang,
        title=escape(str(words["title"])),
        heading=escape(str(words["heading"])),
        subtitle=escape(str(words["subtitle"])),
        switch_href=escape(switch),
        switch_label=escape(str(words["switch_label"])),
        privacy=escape(str(words["privacy"])),
        # JSON inside <script type="application/json">: "</" must not end the element.
        config=dumps(config).decode().replace("</", "<\\/"),
    )
    return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})


async def _snapshot(request: web.Request) -> web.StreamResponse:
    region = _region(request)
    if isinstance(region, web.Response):
        return region
    body = snapshot_json(request.app[_VIEW], region)
    return web.Response(body=body, content_type="application/json", headers={"Cache-Control": "no-store"})


async def _stream(request: web.Request) -> web.StreamResponse:
    region = _region(request)
    if isinstance(region, web.Response):
        return region
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-store",
        "X-Accel-Buffering": "no",
    })
    await response.prepare(request)
    hub = request.app[_HUB]
    with hub.subscribe(region) as mailbox, contextlib.suppress(ConnectionResetError):
        await response.write(b"retry: 2000\ndata: " + snapshot_json(hub.view, region) + b"\n\n")
        while True:
            try:
                payload = await asyncio.wait_for(mailbox.get(), HEARTBEAT_S)
            except TimeoutError:
                await response.write(b": still here\n\n")
                continue
            await response.write(b"data: " + payload + b"\n\n")
    return response  # the page went away (closed, reloaded, or a phone lost signal)


async def _health(request: web.Request) -> web.StreamResponse:
    ready = request.app[_READY]()
    view = request.app[_VIEW]
    body = {"ready": ready, "events": view.events, "regions": view.regions(),
            "other_region_records": view.other_regions}
    return web.json_response(body, status=200 if ready else 503, dumps=_text)


def build_app(
    view: CityView,
    hub: Hub,
    ready: Callable[[], bool],
    registry: CollectorRegistry | None = None,
    before_scrape: Callable[[], None] | None = None,
) -> web.Application:
    """The web application over a view that something else keeps folding; ``before_scrape`` sets the
    gauges read off the view (``DashboardMetrics.observe_fairness``)."""
    app = web.Application()
    if registry is not None:
        exposition = registry

        async def _metrics(request: web.Request) -> web.StreamResponse:
            if before_scrape is not None:
                before_scrape()
            body = generate_latest(exposition)
            return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

        app.router.add_get("/metrics", _metrics)
    app.on_response_prepare.append(_security_headers)
    app[_VIEW], app[_HUB], app[_READY] = view, hub, ready
    app.router.add_get("/", _page)
    app.router.add_get("/v1/snapshot", _snapshot)
    app.router.add_get("/v1/stream", _stream)
    app.router.add_get("/healthz", _health)
    app.router.add_static("/static/", STATIC, follow_symlinks=False)
    return app
