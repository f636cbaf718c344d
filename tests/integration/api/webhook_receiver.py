"""A sponsor's webhook receiver, as a sponsor would write one from the README: a real process on loopback.

It checks the signature with its own code (not Jaring's), drops repeats by
``Jaring-Event-Id``, and logs each request as a JSON line. It can be told to
fail its first requests (503) or to answer its first ones slowly, so the
tests can drive the delivery process's retries from outside.

    python webhook_receiver.py --port P --secret S --log FILE [--fail-first N] [--slow-first N --slow-s S]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import time
from pathlib import Path

from aiohttp import web


def valid(header: str, secret: str, body: bytes, tolerance_s: int = 300) -> bool:
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not fields.get("t", "").isdigit() or abs(time.time() - int(fields["t"])) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--slow-first", type=int, default=0)
    parser.add_argument("--slow-s", type=float, default=0.0)
    args = parser.parse_args()
    seen: set[str] = set()
    requests = 0

    async def receive(request: web.Request) -> web.Response:
        nonlocal requests
        requests += 1
        n = requests
        body = await request.read()
        ok = valid(request.headers.get("Jaring-Signature", ""), args.secret, body)
        event_id = request.headers.get("Jaring-Event-Id", "")
        line = {
            "n": n, "event_id": event_id, "type": request.headers.get("Jaring-Event-Type"),
            "attempt": int(request.headers.get("Jaring-Delivery-Attempt", "0")),
            "replay": request.headers.get("Jaring-Replay"), "valid": ok,
            "body_id": json.loads(body).get("event_id") if ok else None,
        }
        if n <= args.fail_first:
            line["answer"] = 503
        elif not ok:
            line["answer"] = 400
        else:
            line["answer"] = 200
            line["duplicate"] = event_id in seen  # a repeat: acknowledged, not processed again
            seen.add(event_id)
        if n <= args.slow_first:
            await asyncio.sleep(args.slow_s)
        with args.log.open("a") as log:
            log.write(json.dumps(line) + "\n")
        return web.Response(status=line["answer"])

    app = web.Application()
    app.router.add_post("/hook", receive)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, handle_signals=True)


if __name__ == "__main__":
    main()
