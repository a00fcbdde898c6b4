"""The fake's run-time settings: latency, rate limits, search lag.

They live on the app (`app.state.config`) and can be changed while it runs, through
`POST /_fake/config` or directly by an in-process test.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

# Stripe's documented limits, per mode: overall requests/s and search requests/s.
MODE_LIMITS = {"test": (25.0, 20.0), "live": (100.0, 20.0)}


@dataclass(slots=True)
class FakeConfig:
    """Latency and jitter in ms, rate limits in requests/s (None: none), search lag in s."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_limit_rps: float | None = None
    search_rate_limit_rps: float | None = None
    search_lag_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """ValueError for negative or zero settings that make no sense."""
        if self.latency_ms < 0 or self.jitter_ms < 0 or self.search_lag_seconds < 0:
            raise ValueError("latency, jitter and search lag must not be negative")
        for rate in (self.rate_limit_rps, self.search_rate_limit_rps):
            if rate is not None and rate <= 0:
                raise ValueError("a rate limit must be a positive number of requests/s")

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready values."""
        return asdict(self)

    def update(self, changes: dict[str, Any]) -> None:
        """Change some settings (names as in `as_dict`); ValueError for unknown or bad ones."""
        names = {f.name for f in fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        old = self.as_dict()
        for name, value in changes.items():
            if isinstance(value, bool) or (
                value is not None and not isinstance(value, int | float)
            ):
                raise ValueError(f"{name} must be a number or null")
            if value is None and name not in ("rate_limit_rps", "search_rate_limit_rps"):
                raise ValueError(f"{name} must be a number")
            setattr(self, name, None if value is None else float(value))
        try:
            self.validate()
        except ValueError:
            for name, value in old.items():
                setattr(self, name, value)
            raise
