"""`create_app`: the fake Stripe as a Starlette app."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fake_stripe import control, resources
from fake_stripe.config import FakeConfig
from fake_stripe.control import Faults, RequestLog
from fake_stripe.errors import StripeError, unrecognized_url
from fake_stripe.gate import StripeGate
from fake_stripe.limits import RateLimiter
from fake_stripe.store import Store

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def _unrecognized(request: Request) -> Response:
    """Stripe's 404 for any URL (or method) the fake has no route for."""
    return unrecognized_url(request.method, request.url.path).response()


async def _stripe_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StripeError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):
        return await _unrecognized(request)
    return JSONResponse(
        {"error": {"message": str(exc.detail), "type": "invalid_request_error"}},
        status_code=exc.status_code,
    )


def create_app(
    data: Mapping[str, Any] | str | Path | Store,
    *,
    latency_ms: float = 0,
    jitter_ms: float = 0,
    rate_limit_rps: float | None = None,
    search_rate_limit_rps: float | None = None,
    search_lag_seconds: float = 0,
) -> Starlette:
    """A fake Stripe serving `data`: a mapping, a JSON file path, JSON text, or a `Store`.

    `app.state` holds `store` (mutate it to change what is served), `config` (the
    settings, changeable while serving), `request_log` and `faults`.
    """
    store = data if isinstance(data, Store) else Store.from_data(data)
    config = FakeConfig(
        latency_ms, jitter_ms, rate_limit_rps, search_rate_limit_rps, search_lag_seconds
    )
    request_log, faults = RequestLog(), Faults()
    gate = Middleware(
        StripeGate,
        config=config,
        limiter=RateLimiter(config),
        faults=faults,
        request_log=request_log,
    )
    app = Starlette(
        routes=[
            *resources.routes,
            *control.routes,
            Route("/{path:path}", _unrecognized, methods=ALL_METHODS),
        ],
        middleware=[gate],
        exception_handlers={StripeError: _stripe_error, HTTPException: _http_error},
    )
    app.state.store = store
    app.state.config = config
    app.state.request_log = request_log
    app.state.faults = faults
    return app
