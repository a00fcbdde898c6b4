"""The scenarios of the performance issue, each against the fake Stripe with latency.

Each scenario runs the gateway as configured (batching, a cross-request cache, pacing)
and the naive baseline: the same code with `STRIPE_BATCHING_ENABLED=false` and
`CACHE_URL=none://` (one request per key, nothing kept between requests). Both are paced
the same way, so neither sees Stripe's 429s.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness import GATEWAY_TOKEN, TEST_KEY, Fake, Gateway, gateway
from benchmarks.measure import max_in_window, mean_rate, percentile, summary_ms, waves

CUSTOMER_FIELDS = """
  id name delinquent
  charges(first: 5) { edges { node { amount { formatted } status created } } }
  subscriptions { status items { price { productName unitAmount { formatted } } } }
"""
FIFTY = (
    "query($s: String) { contacts(first: 50, search: $s) { edges { node { id"
    " stripeMatch { method customer {" + CUSTOMER_FIELDS + "} } } } } }"
)
ONE = (
    "query($id: ID!) { contact(id: $id) { id"
    " stripeMatch { method customer {" + CUSTOMER_FIELDS + "} } } }"
)
CROWD = (
    "query($id: ID!) { contact(id: $id) { id stripeMatch { method customer { id"
    " charges(first: 5) { edges { node { id } } } subscriptions { status } } } } }"
)
NAIVE = {"stripe_batching_enabled": "false", "cache_url": "none://"}
# The operations above nest deeper than the gateway's default query depth limit.
COMMON = {"gateway_max_depth": 20}


@dataclass
class Row:
    """One line of the table."""

    scenario: str
    variant: str
    stripe_requests: int | None = None
    waves: int | None = None
    median_ms: float | None = None
    p95_ms: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _errors(body: dict[str, Any]) -> list[str]:
    return [
        str(e.get("extensions", {}).get("code", e.get("message"))) for e in body.get("errors", [])
    ]


def _timed(gw: Gateway, query: str, variables: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    body = gw.post(query, variables)
    return time.perf_counter() - started, body


def cold_and_warm(
    name: str,
    fake: Fake,
    gw: Gateway,
    query: str,
    variables: list[dict[str, Any]],
    *,
    variant: str,
    warm: bool = True,
) -> list[Row]:
    """Each variables set once cold, then (if `warm`) once more, warm."""
    cold: list[tuple[float, int, int]] = []
    hot: list[tuple[float, int, int]] = []
    errors: Counter[str] = Counter()
    for v in variables:
        for runs in (cold, hot) if warm else (cold,):
            fake.clear()
            elapsed, body = _timed(gw, query, v)
            log = fake.requests()
            errors.update(_errors(body))
            runs.append((elapsed, len(log), waves(log)))
    rows = []
    for label, runs in (("cold", cold), ("warm", hot)):
        if not runs:
            continue
        rows.append(
            Row(
                f"{name}, {label}",
                variant,
                stripe_requests=max(r[1] for r in runs),
                waves=max(r[2] for r in runs),
                **summary_ms([r[0] for r in runs]),
                extra={"repeats": len(runs), "errors": dict(errors)},
            )
        )
    return rows


def crowd(fake: Fake, gw: Gateway, contact_ids: list[str], *, variant: str) -> Row:
    """Every contact asked at once by its own client."""

    async def run() -> tuple[list[float], Counter[str], int]:
        latencies: list[float] = []
        codes: Counter[str] = Counter()
        http_errors = 0
        headers = {"Authorization": f"Bearer {GATEWAY_TOKEN}"}
        limits = httpx.Limits(max_connections=len(contact_ids))
        async with httpx.AsyncClient(timeout=300, headers=headers, limits=limits) as client:

            async def one(contact_id: str) -> None:
                nonlocal http_errors
                started = time.perf_counter()
                response = await client.post(
                    f"{gw.url}/graphql", json={"query": CROWD, "variables": {"id": contact_id}}
                )
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    http_errors += 1
                    return
                codes.update(_errors(response.json()))

            await asyncio.gather(*(one(c) for c in contact_ids))
        return latencies, codes, http_errors

    fake.clear()
    started = time.perf_counter()
    latencies, codes, http_errors = asyncio.run(run())
    elapsed = time.perf_counter() - started
    log = fake.requests()
    return Row(
        f"{len(contact_ids)} concurrent clients, 25 req/s limit",
        variant,
        stripe_requests=len(log),
        waves=None,
        median_ms=round(percentile([x * 1000 for x in latencies], 50), 1),
        p95_ms=round(percentile([x * 1000 for x in latencies], 95), 1),
        extra={
            "wall_s": round(elapsed, 2),
            "client_errors": dict(codes),
            "client_rate_limited": codes.get("RATE_LIMITED", 0),
            "http_errors": http_errors,
            "stripe_429s": sum(1 for r in log if r["status"] == 429),
            "max_requests_in_1s": max_in_window(log),
            "mean_rate_rps": round(mean_rate(log), 1),
        },
    )


def two_processes(
    fake: Fake, database_url: str, redis_url: str, sets: list[str], clear_redis: Callable[[], None]
) -> list[Row]:
    """Gateways A and B sharing Redis: A answers cold, B then answers warm; and both asked
    the same cold set at the same moment share the Stripe requests."""
    clear_redis()
    settings = {"cache_url": redis_url, **COMMON}
    rows: list[Row] = []
    with gateway(fake, database_url, **settings) as a, gateway(fake, database_url, **settings) as b:
        half = len(sets) // 2
        sequential = sets[:half]
        a_cold, b_warm = [], []
        for tag in sequential:
            fake.clear()
            elapsed, _ = _timed(a, FIFTY, {"s": f"{tag}-"})
            log = fake.requests()
            a_cold.append((elapsed, len(log), waves(log)))
            fake.clear()
            elapsed, _ = _timed(b, FIFTY, {"s": f"{tag}-"})
            log = fake.requests()
            b_warm.append((elapsed, len(log), waves(log)))
        for label, runs in (("A cold", a_cold), ("then B warm", b_warm)):
            rows.append(
                Row(
                    f"two processes + Redis, fifty contacts: {label}",
                    "gateway",
                    stripe_requests=max(r[1] for r in runs),
                    waves=max(r[2] for r in runs),
                    **summary_ms([r[0] for r in runs]),
                    extra={"repeats": len(runs)},
                )
            )
        together: list[tuple[float, int, int]] = []
        for tag in sets[half:]:
            fake.clear()
            times: list[float] = []

            def ask(gw: Gateway, tag: str = tag, times: list[float] = times) -> None:
                times.append(_timed(gw, FIFTY, {"s": f"{tag}-"})[0])

            threads = [threading.Thread(target=ask, args=(gw,)) for gw in (a, b)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            log = fake.requests()
            together.append((max(times), len(log), waves(log)))
        rows.append(
            Row(
                "two processes + Redis, fifty contacts: A and B at once, cold",
                "gateway",
                stripe_requests=max(r[1] for r in together),
                waves=max(r[2] for r in together),
                **summary_ms([r[0] for r in together]),
                extra={"repeats": len(together)},
            )
        )
    return rows


def overhead(
    fake: Fake, gw: Gateway, name: str, query: str, variables: dict[str, Any], duration: float
) -> Row:
    """Requests/s and latency of a warm query, load from a second process."""
    gw.post(query, variables)  # warm the cache
    fake.clear()
    body = json.dumps({"query": query, "variables": variables})
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.load",
            f"{gw.url}/graphql",
            body,
            "--concurrency",
            "8",
            "--duration",
            str(duration),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return Row(
        f"overhead, warm cache: {name}",
        "gateway",
        stripe_requests=len(fake.requests()),
        median_ms=result["p50_ms"],
        p95_ms=None,
        extra={**result, "concurrency": 8, "duration_s": duration},
    )


def memory_bound(keys: int, max_entries: int) -> Row:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.memory",
            "--keys",
            str(keys),
            "--max-entries",
            str(max_entries),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return Row(f"memory cache, {keys:,} distinct keys", "gateway", extra=result)


def crowd_settings() -> dict[str, Any]:
    """Test mode: the gateway's key is a test key, so its default pacing is below 25/s."""
    return {"stripe_api_key": TEST_KEY, **COMMON}


__all__ = [
    "FIFTY",
    "NAIVE",
    "ONE",
    "Path",
    "Row",
    "cold_and_warm",
    "crowd",
    "crowd_settings",
    "memory_bound",
    "overhead",
    "two_processes",
]
