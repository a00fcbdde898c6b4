"""Memory bound of the memory cache, run as its own process: `python -m benchmarks.memory
--keys 1000000 --max-entries 50000`. Stores that many distinct customers through the
gateway's cache and prints one JSON line: entries held and RSS at checkpoints."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
from pathlib import Path

from stripe_gateway.cache import StripeCache, codec
from stripe_gateway.config import load_settings
from stripe_gateway.records import Address, Customer


def rss_mb() -> float:
    """Current resident set size (Linux /proc), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def customer(n: int) -> Customer:
    return Customer(
        id=f"cus_mem{n:09d}",
        created=1_700_000_000 + n,
        email=f"person{n}@company{n % 977}.example",
        name=f"Person number {n}",
        currency="usd",
        metadata={"plan": "pro", "seat": str(n % 50)},
        address=Address(line1=f"{n} Main St", city="Springfield", country="US"),
        subscriptions=(),
    )


async def run(keys: int, max_entries: int, batch: int = 1000) -> dict[str, object]:
    settings = load_settings(
        stripe_api_key="rk_test_memory", cache_url="memory://", cache_max_entries=max_entries
    )
    cache = StripeCache.open(settings)
    checkpoints: dict[str, float] = {"start": rss_mb()}
    marks = {max_entries, keys // 4, keys // 2, keys}
    for start in range(0, keys, batch):
        await cache.set_many(
            codec.CUSTOMER, {f"cus_mem{n:09d}": customer(n) for n in range(start, start + batch)}
        )
        await asyncio.sleep(0)  # let the event loop run, as a serving gateway's does
        done = start + batch
        if done in marks:
            gc.collect()
            checkpoints[f"after_{done}"] = rss_mb()
    entries = cache.entry_count()
    await cache.aclose()
    return {"keys": keys, "max_entries": max_entries, "entries": entries, "rss_mb": checkpoints}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--max-entries", type=int, default=50_000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.keys, args.max_entries))))


if __name__ == "__main__":
    main()
