"""The Stripe SDK client and the translation of its errors into the gateway's typed errors.

One `StripeClient` (with its httpx connection pool) per event loop: the server creates it
in its lifespan and closes it on shutdown.
"""

from __future__ import annotations

import re

import stripe

from stripe_gateway.config import Settings
from stripe_gateway.errors import (
    StripeAuthFailed,
    StripeFailure,
    StripePermissionDenied,
    StripeRateLimited,
    StripeUnavailable,
)

_PERMISSION = re.compile(r"'(rak_[a-z0-9_]+)'")


class StripeConnection:
    """A StripeClient for the configured key and base URL, async over httpx."""

    def __init__(self, settings: Settings) -> None:
        self._http = stripe.HTTPXClient(timeout=settings.stripe_timeout_seconds)
        self.client = stripe.StripeClient(
            settings.stripe_api_key.get_secret_value(),
            http_client=self._http,
            base_addresses={"api": settings.stripe_api_base},
            max_network_retries=settings.stripe_max_network_retries,
        )

    async def aclose(self) -> None:
        """Close the connection pool; call it on the loop that used the client."""
        await self._http.close_async()  # type: ignore[no-untyped-call]


def is_resource_missing(exc: stripe.StripeError) -> bool:
    """A 404 `resource_missing`: the object does not exist (a miss, not a failure)."""
    return isinstance(exc, stripe.InvalidRequestError) and exc.code == "resource_missing"


def translate_error(exc: stripe.StripeError) -> StripeFailure:
    """A typed gateway error for a Stripe SDK error. Messages never include the key."""
    request_id = f" (Stripe request {exc.request_id})" if exc.request_id else ""
    if isinstance(exc, stripe.AuthenticationError):
        return StripeAuthFailed(f"Stripe rejected the API key{request_id}")
    if isinstance(exc, stripe.PermissionError):
        found = _PERMISSION.search(str(exc.user_message or ""))
        permission = found.group(1) if found else None
        named = f": it needs the '{permission}' permission" if permission else ""
        return StripePermissionDenied(
            f"the Stripe key may not make this request{named}{request_id}", permission
        )
    if isinstance(exc, stripe.RateLimitError) or exc.code == "rate_limit":
        return StripeRateLimited(f"Stripe rate limit exceeded, retries exhausted{request_id}")
    if isinstance(exc, stripe.APIConnectionError):
        return StripeUnavailable("could not reach Stripe")
    status = exc.http_status or "no status"
    return StripeUnavailable(f"Stripe request failed ({status}){request_id}")
