"""Figures from the fake's request log and from timings: waves, rates, percentiles."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any


def waves(requests: Sequence[dict[str, Any]]) -> int:
    """Sequential waves: the longest chain of requests each of which started after the one
    before it had finished, i.e. the round trips that had to happen one after another.
    (Requests of different dependency levels may overlap in time; they still count.)"""
    spans = sorted((r["started_at"], r["finished_at"] or r["started_at"]) for r in requests)
    depth: list[int] = []
    for i, (start, _) in enumerate(spans):
        before = [depth[j] for j in range(i) if spans[j][1] <= start]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)


def max_in_window(requests: Sequence[dict[str, Any]], seconds: float = 1.0) -> int:
    """The most requests that started within any window of `seconds`."""
    starts = sorted(r["started_at"] for r in requests)
    best, lo = 0, 0
    for hi, start in enumerate(starts):
        while start - starts[lo] >= seconds:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def mean_rate(requests: Sequence[dict[str, Any]]) -> float:
    """Requests per second from the first start to the last start (0 for fewer than 2)."""
    starts: list[float] = sorted(r["started_at"] for r in requests)
    if len(starts) < 2 or starts[-1] == starts[0]:
        return 0.0
    return (len(starts) - 1) / (starts[-1] - starts[0])


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """Median and p95 of durations, in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "median_ms": round(statistics.median(ms), 1) if ms else float("nan"),
        "p95_ms": round(percentile(ms, 95), 1),
    }
