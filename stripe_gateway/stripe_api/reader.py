"""Every Stripe request the gateway makes, one method per kind, returning records.

Every request first waits for its slot from the pacer (`pacing`), so the gateway stays
under Stripe's rate limits. Errors come out as the gateway's typed `StripeFailure`s; a 429
that still arrives is retried here with exponential backoff (each retry paced too) before
it becomes `StripeRateLimited`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import stripe

from stripe_gateway.config import Settings
from stripe_gateway.errors import NotFound
from stripe_gateway.records import Charge, Customer, Product, Subscription
from stripe_gateway.stripe_api import convert
from stripe_gateway.stripe_api.client import StripeConnection, is_resource_missing, translate_error
from stripe_gateway.stripe_api.pacing import Pacer, pacer_for

T = TypeVar("T")
Obj = dict[str, Any]

PAGE_LIMIT = 100
# Searches over many duplicates or a large domain stop after this many pages.
MAX_SEARCH_PAGES = 10
RATE_LIMIT_BASE_DELAY = 0.25


class StripeReader:
    """Read-only access to the Stripe objects the gateway shows."""

    def __init__(
        self,
        settings: Settings,
        connection: StripeConnection | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self._settings = self.settings = settings
        self._connection = connection or StripeConnection(settings)
        self._client = self._connection.client
        self._v1 = self._client.v1
        self.pacer = pacer or pacer_for(settings)

    async def aclose(self) -> None:
        await self._connection.aclose()
        await self.pacer.aclose()

    async def _call(self, request: Callable[[], Awaitable[T]], *, search: bool = False) -> T:
        attempts = self._settings.stripe_rate_limit_retries + 1
        for attempt in range(attempts):
            try:
                async with self.pacer.slot(search):
                    return await request()
            except stripe.RateLimitError as exc:
                if attempt + 1 == attempts:
                    raise translate_error(exc) from None
                delay = RATE_LIMIT_BASE_DELAY * 2**attempt
                await asyncio.sleep(delay + random.uniform(0, delay))
            except stripe.StripeError as exc:
                if is_resource_missing(exc):
                    raise NotFound("no such Stripe object") from None
                raise translate_error(exc) from None
        raise AssertionError("unreachable")

    async def _get(self, path: str, params: dict[str, Any], *, search: bool = False) -> Obj:
        """GET a Stripe API path (paced, retried, errors translated); the JSON body as
        plain dicts. The SDK's typed `StripeObject`s are skipped on purpose: building them
        for a page of 100 charges costs more CPU than the request's whole round trip."""
        response = await self._call(
            lambda: self._client.raw_request_async("get", path, **params), search=search
        )
        data: Obj = response.data
        return data

    async def customer(self, customer_id: str) -> Customer | None:
        """A customer with its current subscriptions; None when Stripe has no such id."""
        try:
            obj = await self._get(
                f"/v1/customers/{quote(customer_id, safe='')}", {"expand": ["subscriptions"]}
            )
        except NotFound:
            return None
        return convert.customer(obj)

    async def search_customers(self, query: str) -> list[Customer]:
        """All customers matching a search query (up to MAX_SEARCH_PAGES pages)."""
        found: list[Customer] = []
        page: str | None = None
        for _ in range(MAX_SEARCH_PAGES):
            params: dict[str, Any] = {
                "query": query,
                "limit": PAGE_LIMIT,
                "expand": ["data.subscriptions"],
            }
            if page:
                params["page"] = page
            result = await self._get("/v1/customers/search", params, search=True)
            found.extend(convert.customer(c) for c in result["data"])
            page = result.get("next_page")
            if not result.get("has_more") or not page:
                break
        return found

    async def list_customers_by_email(self, email: str) -> list[Customer]:
        """Customers whose email is exactly `email` (case-sensitive, consistent, no lag)."""
        result = await self._get(
            "/v1/customers",
            {"email": email, "limit": PAGE_LIMIT, "expand": ["data.subscriptions"]},
        )
        return [convert.customer(c) for c in result["data"]]

    async def search_charges(self, query: str) -> tuple[list[Charge], bool]:
        """The first page of charges for a search query, and whether there are more."""
        result = await self._get(
            "/v1/charges/search", {"query": query, "limit": PAGE_LIMIT}, search=True
        )
        return [convert.charge(c) for c in result["data"]], bool(result.get("has_more"))

    async def list_charges(
        self, customer_id: str, limit: int, starting_after: str | None
    ) -> tuple[list[Charge], bool]:
        """A page of one customer's charges, newest first, and whether there are more."""
        params: dict[str, Any] = {"customer": customer_id, "limit": limit}
        if starting_after:
            params["starting_after"] = starting_after
        result = await self._get("/v1/charges", params)
        return [convert.charge(c) for c in result["data"]], bool(result.get("has_more"))

    async def list_subscriptions(self, customer_id: str) -> list[Subscription]:
        """All of a customer's subscriptions, ended ones included (up to one page of 100)."""
        result = await self._get(
            "/v1/subscriptions", {"customer": customer_id, "status": "all", "limit": PAGE_LIMIT}
        )
        return [convert.subscription(s) for s in result["data"]]

    async def list_products(self, product_ids: Sequence[str]) -> list[Product]:
        """Products by id, up to 100 in one request."""
        result = await self._get("/v1/products", {"ids": list(product_ids), "limit": PAGE_LIMIT})
        return [convert.product(p) for p in result["data"]]

    async def charge_customer_id(self, charge_id: str) -> str | None:
        """The customer a charge belongs to (webhooks: a refund or dispute names only its
        charge); None for an unknown charge or one without a customer."""
        try:
            obj = await self._call(lambda: self._v1.charges.retrieve_async(charge_id))
        except NotFound:
            return None
        return convert.charge(obj.to_dict()).customer_id
