"""`python -m benchmarks`: run the performance scenarios against the fake Stripe and print a
table; the figures are also written as JSON under `benchmarks/results/`.

Options: `--repeats N` (cold/warm repeats, default 7), `--latency-ms` (default 50),
`--jitter-ms` (default 0), `--redis URL` (default redis://127.0.0.1:6379/14; the database is
emptied), `--quick` (fewer repeats, shorter load), `--skip NAME` (crowd, redis, overhead,
memory), `--out FILE`.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks import data as bench_data
from benchmarks import scenarios as sc
from benchmarks.harness import Fake, fake_stripe, gateway, import_contacts

RESULTS = Path(__file__).parent / "results"


def _redis_clearer(url: str) -> Any:
    def clear() -> None:
        import redis

        redis.Redis.from_url(url).flushdb()

    return clear


def run(args: argparse.Namespace) -> dict[str, Any]:
    repeats = 3 if args.quick else args.repeats
    crowd_size = 200
    # Cold sets for: gateway one/fifty, naive fifty, two-process scenario (sequential + together).
    redis_sets = 2 if args.quick else 6
    dataset = bench_data.build(
        fifty_sets=repeats + redis_sets + 1, singles=repeats + 1, crowd=crowd_size
    )
    fifty = [f"f{k:03d}" for k in range(repeats)]
    redis_tags = [f"f{k:03d}" for k in range(repeats, repeats + redis_sets)]
    overhead_set = f"f{repeats + redis_sets:03d}"
    singles = [f"s{k:03d}" for k in range(repeats)]
    crowd_ids = [f"c{k:03d}" for k in range(crowd_size)]
    rows: list[sc.Row] = []
    skip = set(args.skip or ())

    with tempfile.TemporaryDirectory(prefix="stripe-gateway-bench-") as tmp:
        work = Path(tmp)
        data_file = work / "stripe.json"
        data_file.write_text(json.dumps(dataset.stripe))
        database_url = f"sqlite+aiosqlite:///{work / 'contacts.sqlite3'}"
        import_contacts(dataset.contacts, database_url, work)
        with fake_stripe(data_file, args.latency_ms, args.jitter_ms) as fake:
            live = {"rate_limit_rps": 100, "search_rate_limit_rps": 20}
            fake.configure(**live)
            _section("one contact and fifty contacts, live-mode limits")
            for variant, settings in (("gateway", {}), ("naive", sc.NAIVE)):
                with gateway(fake, database_url, **sc.COMMON, **settings) as gw:
                    _warm_up(fake, gw)
                    one = [{"id": s} for s in singles]
                    rows += sc.cold_and_warm(
                        "one contact by id", fake, gw, sc.ONE, one, variant=variant
                    )
                    sets = [{"s": f"{tag}-"} for tag in fifty]
                    rows += sc.cold_and_warm(
                        "fifty contacts with charges and subscriptions",
                        fake,
                        gw,
                        sc.FIFTY,
                        sets,
                        variant=variant,
                    )
                    if variant == "gateway" and "overhead" not in skip:
                        _section("gateway overhead, warm cache")
                        duration = 3.0 if args.quick else 8.0
                        rows.append(
                            sc.overhead(
                                fake, gw, "one contact", sc.ONE, {"id": singles[0]}, duration
                            )
                        )
                        rows.append(
                            sc.overhead(
                                fake,
                                gw,
                                "fifty contacts",
                                sc.FIFTY,
                                {"s": f"{overhead_set}-"},
                                duration,
                            )
                        )
            if "redis" not in skip:
                _section("two gateway processes sharing Redis")
                rows += sc.two_processes(
                    fake, database_url, args.redis, redis_tags, _redis_clearer(args.redis)
                )
            if "crowd" not in skip:
                _section("200 concurrent clients, test-mode limits")
                fake.configure(rate_limit_rps=25, search_rate_limit_rps=20)
                for variant, settings in (("gateway", {}), ("naive", sc.NAIVE)):
                    with gateway(fake, database_url, **sc.crowd_settings(), **settings) as gw:
                        _warm_up(fake, gw)
                        rows.append(sc.crowd(fake, gw, crowd_ids, variant=variant))
                fake.configure(**live)
        if "memory" not in skip:
            _section("memory bound")
            keys = 200_000 if args.quick else 1_000_000
            rows.append(sc.memory_bound(keys, 50_000))

    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "fake": {"latency_ms": args.latency_ms, "jitter_ms": args.jitter_ms},
        "repeats": repeats,
        "rows": [asdict(r) for r in rows],
    }


def _warm_up(fake: Fake, gw: Any) -> None:
    """Open the gateway's connections (database, Stripe) before measuring."""
    gw.post("{ stripeMatch(contact: {}) { method } }")
    gw.post('{ stripeCustomer(id: "cus_noise0000") { id } }')
    fake.clear()


def _section(title: str) -> None:
    print(f"... {title}", file=sys.stderr, flush=True)


def table(result: dict[str, Any]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| scenario | variant | Stripe requests | waves | median ms | p95 ms | notes |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for row in result["rows"]:
        notes = _notes(row)
        cells = [
            row["scenario"],
            row["variant"],
            _cell(row["stripe_requests"]),
            _cell(row["waves"]),
            _cell(row["median_ms"]),
            _cell(row["p95_ms"]),
            notes,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _notes(row: dict[str, Any]) -> str:
    extra = row["extra"]
    if "rps" in extra:
        return f"{extra['rps']} req/s, p50 {extra['p50_ms']} ms, p99 {extra['p99_ms']} ms"
    if "stripe_429s" in extra:
        return (
            f"wall {extra['wall_s']} s; RATE_LIMITED to clients: {extra['client_rate_limited']},"
            f" other errors: {sum(extra['client_errors'].values()) - extra['client_rate_limited']},"
            f" 429s from Stripe: {extra['stripe_429s']}; rate max {extra['max_requests_in_1s']}"
            f" in any 1 s, mean {extra['mean_rate_rps']}/s"
        )
    if "rss_mb" in extra:
        rss = extra["rss_mb"]
        return (
            f"{extra['entries']:,} entries held (bound {extra['max_entries']:,});"
            f" RSS MiB: " + ", ".join(f"{k} {v}" for k, v in rss.items())
        )
    if extra.get("errors"):
        return f"errors: {extra['errors']}"
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip", action="append", choices=["crowd", "redis", "overhead", "memory"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result = run(args)
    text = table(result)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    out = args.out or RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
