"""`stripe-gateway check-key`: which of the reads the gateway makes does the key allow?

No Stripe API lists a key's permissions, so each endpoint the gateway uses is probed with
one `limit=1` read, made the way the gateway makes it (same expansions). A 403 names the
restricted-key permission that is missing (`rak_charge_read`, ...). Nothing is written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import stripe

from stripe_gateway.config import Settings
from stripe_gateway.errors import StripeAuthFailed, StripePermissionDenied
from stripe_gateway.stripe_api.client import StripeConnection, translate_error

# Where each permission is granted on Stripe's "Create restricted key" form.
PERMISSION_LABELS = {
    "rak_customer_read": "Customers: Read",
    "rak_charge_read": "Charges: Read",
    "rak_subscription_read": "Subscriptions: Read",
    "rak_product_read": "Products: Read",
}
# A search that matches nothing, on a value no real customer or charge has.
PROBE_EMAIL = "check-key@example.invalid"
PROBE_CUSTOMER = "cus_checkkeyprobe"


@dataclass(frozen=True, slots=True)
class Probe:
    """The outcome of one read: ok, or the error code and the missing permission."""

    name: str
    request: str
    ok: bool
    code: str | None = None
    permission: str | None = None
    message: str | None = None
    skipped: bool = False


def _probes(v1: Any, search: bool) -> list[tuple[str, str, Callable[[], Awaitable[object]] | None]]:
    return [
        (
            "customers list",
            "GET /v1/customers",
            lambda: v1.customers.list_async(params={"limit": 1, "expand": ["data.subscriptions"]}),
        ),
        (
            "customers search",
            "GET /v1/customers/search",
            (
                lambda: v1.customers.search_async(
                    params={
                        "query": f'email:"{PROBE_EMAIL}"',
                        "limit": 1,
                        "expand": ["data.subscriptions"],
                    }
                )
            )
            if search
            else None,
        ),
        ("charges list", "GET /v1/charges", lambda: v1.charges.list_async(params={"limit": 1})),
        (
            "charges search",
            "GET /v1/charges/search",
            (
                lambda: v1.charges.search_async(
                    params={"query": f'customer:"{PROBE_CUSTOMER}"', "limit": 1}
                )
            )
            if search
            else None,
        ),
        (
            "subscriptions list",
            "GET /v1/subscriptions",
            lambda: v1.subscriptions.list_async(params={"limit": 1, "status": "all"}),
        ),
        ("products list", "GET /v1/products", lambda: v1.products.list_async(params={"limit": 1})),
    ]


async def check_key(settings: Settings) -> list[Probe]:
    """Probe every endpoint the gateway reads, in order; one request each."""
    connection = StripeConnection(settings)
    results: list[Probe] = []
    try:
        for name, request, call in _probes(connection.client.v1, settings.stripe_search_enabled):
            if call is None:
                results.append(
                    Probe(name, request, ok=True, skipped=True, message="search disabled")
                )
                continue
            try:
                await call()
            except stripe.StripeError as exc:
                failure = translate_error(exc)
                permission = (
                    failure.permission if isinstance(failure, StripePermissionDenied) else None
                )
                results.append(
                    Probe(
                        name,
                        request,
                        ok=False,
                        code=failure.code,
                        permission=permission,
                        message=failure.message,
                    )
                )
                if isinstance(failure, StripeAuthFailed):
                    break  # every other probe would say the same
                continue
            results.append(Probe(name, request, ok=True))
    finally:
        await connection.aclose()
    return results
