"""`python -m fake_stripe --port PORT --data FILE`: serve the fake Stripe with uvicorn.

`--mode test|live` applies Stripe's rate limits for that mode (test: 25 requests/s,
live: 100 requests/s, search: 20 requests/s in both); `--rate-limit-rps` and
`--search-rate-limit-rps` override them. Without either, nothing is rate limited.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import uvicorn

from fake_stripe.app import create_app
from fake_stripe.config import MODE_LIMITS
from fake_stripe.store import DataError


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m fake_stripe", description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    p.add_argument("--data", required=True, help="JSON data file of Stripe objects")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--latency-ms", type=_non_negative, default=0.0, help="added to every request")
    p.add_argument("--jitter-ms", type=_non_negative, default=0.0, help="latency +/- this, uniform")
    p.add_argument("--mode", choices=sorted(MODE_LIMITS), help="apply Stripe's rate limits")
    p.add_argument("--rate-limit-rps", type=_positive, help="overall requests/s")
    p.add_argument("--search-rate-limit-rps", type=_positive, help="search requests/s")
    p.add_argument(
        "--search-lag-seconds", type=_non_negative, default=0.0, help="delay before searchable"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, load the data, serve until interrupted."""
    args = parser().parse_args(argv)
    overall, search = MODE_LIMITS[args.mode] if args.mode else (None, None)
    try:
        app = create_app(
            args.data,
            latency_ms=args.latency_ms,
            jitter_ms=args.jitter_ms,
            rate_limit_rps=args.rate_limit_rps or overall,
            search_rate_limit_rps=args.search_rate_limit_rps or search,
            search_lag_seconds=args.search_lag_seconds,
        )
    except DataError as exc:
        print(f"fake_stripe: {exc}", file=sys.stderr)
        return 2
    counts = ", ".join(f"{n} {kind}s" for kind, n in app.state.store.counts().items())
    print(f"fake Stripe on http://{args.host}:{args.port} ({counts})", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
