"""A bounded HTTP load from its own process: ``POST /v1/pledges`` at fixed concurrency.

Run by ``benchmarks/e2e.py`` so the API and its load do not share an event
loop; prints one JSON line with throughput and latency percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx

from models.codec import dumps


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def run(url: str, key: str, requests: int, concurrency: int) -> dict[str, float]:
    today = datetime.now(UTC).date()
    body = {"region": "74.71", "amount_idr": 16_800 * 12, "months": 12, "package": "JKK_JKM",
            "valid_from": str(today), "valid_until": str(today + timedelta(days=90))}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(requests):
        queue.put_nowait(n)

    async def client_loop(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": f"bench-{n}",
                       "Content-Type": "application/json"}
            started = time.perf_counter()
            response = await client.post(f"{url}/v1/pledges", content=dumps(body), headers=headers)
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    async with httpx.AsyncClient(timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "requests": requests, "seconds": elapsed, "per_second": requests / elapsed,
        "p50_ms": 1000 * percentile(latencies, 0.50), "p99_ms": 1000 * percentile(latencies, 0.99),
        "accepted": statuses.get(202, 0), "other": sum(v for k, v in statuses.items() if k != 202),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    print(dumps(asyncio.run(run(args.url, args.key, args.requests, args.concurrency))).decode())


if __name__ == "__main__":
    main()
