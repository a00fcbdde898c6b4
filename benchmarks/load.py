"""Load generator, run as its own process: `python -m benchmarks.load URL QUERY_JSON
--concurrency N --duration S`. Prints one JSON line: requests, errors, requests/s, p50, p99."""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx

from benchmarks.harness import GATEWAY_TOKEN
from benchmarks.measure import percentile


async def run(
    url: str, body: dict[str, object], concurrency: int, duration: float
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {GATEWAY_TOKEN}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits, headers=headers) as client:
        await client.post(url, json=body)  # connect and warm
        stop = time.perf_counter() + duration

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                started = time.perf_counter()
                response = await client.post(url, json=body)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or "errors" in response.json():
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    ms = [x * 1000 for x in latencies]
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("body", help="the GraphQL request body as JSON")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=5.0)
    args = parser.parse_args()
    result = asyncio.run(run(args.url, json.loads(args.body), args.concurrency, args.duration))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
