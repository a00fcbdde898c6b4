"""The Stripe resources the fake serves, their list filters, search fields and routes.

- customers: retrieve, list (`email`, exact and case-sensitive), search
  (`email`, `name`, `phone`, `metadata["k"]`, `created`)
- charges: retrieve, list (`customer`), search (`customer`, `status`, `amount`,
  `currency`, `created`, `refunded`, `disputed`, `metadata["k"]`)
- subscriptions: retrieve, list (`customer`, `price`, `status`: default every status but
  canceled, `all`, `ended`, or one status), search (`status`, `created`, `metadata["k"]`)
- products: retrieve, list (`ids[]`, `active`), search (`name`, `active`, `metadata["k"]`)
- prices: retrieve, list (`product`, `active`, `currency`, `type`), search
  (`product`, `currency`, `active`, `type`, `lookup_key`, `metadata["k"]`)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fake_stripe import endpoints
from fake_stripe.endpoints import Predicate, Resource
from fake_stripe.errors import invalid_param
from fake_stripe.params import Params
from fake_stripe.search_query import Field, getter
from fake_stripe.shapes import ref_id

SUBSCRIPTION_STATUSES = frozenset(
    {
        "active",
        "canceled",
        "incomplete",
        "incomplete_expired",
        "past_due",
        "paused",
        "trialing",
        "unpaid",
    }
)
_METADATA = Field("metadata", getter("metadata"))
_CREATED = Field("number", getter("created"))

CUSTOMERS = Resource(
    "customer",
    "customers",
    {
        "email": Field("string", getter("email"), substring=True),
        "name": Field("string", getter("name"), substring=True),
        "phone": Field("string", getter("phone"), substring=True),
        "metadata": _METADATA,
        "created": _CREATED,
    },
)
CHARGES = Resource(
    "charge",
    "charges",
    {
        "customer": Field("token", getter("customer")),
        "status": Field("token", getter("status")),
        "amount": Field("number", getter("amount")),
        "currency": Field("token", getter("currency")),
        "refunded": Field("boolean", getter("refunded")),
        "disputed": Field("boolean", getter("disputed")),
        "payment_method_details.card.last4": Field(
            "token", getter("payment_method_details", "card", "last4")
        ),
        "metadata": _METADATA,
        "created": _CREATED,
    },
)
SUBSCRIPTIONS = Resource(
    "subscription",
    "subscriptions",
    {"status": Field("token", getter("status")), "metadata": _METADATA, "created": _CREATED},
)
PRODUCTS = Resource(
    "product",
    "products",
    {
        "name": Field("string", getter("name"), substring=True),
        "description": Field("string", getter("description"), substring=True),
        "active": Field("boolean", getter("active")),
        "metadata": _METADATA,
        "created": _CREATED,
    },
)
PRICES = Resource(
    "price",
    "prices",
    {
        "product": Field("token", getter("product")),
        "currency": Field("token", getter("currency")),
        "active": Field("boolean", getter("active")),
        "type": Field("token", getter("type")),
        "lookup_key": Field("string", getter("lookup_key")),
        "metadata": _METADATA,
        "created": _CREATED,
    },
)


def _always(obj: Mapping[str, Any]) -> bool:
    return True


def _equals(field: str, wanted: str | None) -> Predicate:
    """Objects whose `field` equals `wanted` exactly (all objects when it is None)."""
    if wanted is None:
        return _always

    def predicate(obj: Mapping[str, Any]) -> bool:
        return obj.get(field) == wanted

    return predicate


def _all(*predicates: Predicate) -> Predicate:
    needed = [p for p in predicates if p is not _always]
    if len(needed) <= 1:
        return needed[0] if needed else _always
    return lambda obj: all(p(obj) for p in needed)


def _boolean(params: Params, name: str) -> bool | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in ("true", "false"):
        raise invalid_param(f"Invalid boolean: {raw}", name)
    return raw == "true"


def _active(params: Params) -> Predicate:
    active = _boolean(params, "active")
    return lambda obj: active is None or obj.get("active") is active


def list_customers(params: Params) -> Predicate:
    """`email` is an exact, case-sensitive match, as on Stripe."""
    return _equals("email", params.get("email"))


def list_charges(params: Params) -> Predicate:
    """Filter by `customer` and `payment_intent`."""
    return _all(
        _equals("customer", params.get("customer")),
        _equals("payment_intent", params.get("payment_intent")),
    )


def list_subscriptions(params: Params) -> Predicate:
    """`status`: one status, `all`, `ended`, or (absent) every status except canceled."""
    status = params.one_of("status", SUBSCRIPTION_STATUSES | {"all", "ended"})
    price = params.get("price")

    def by_status(obj: Mapping[str, Any]) -> bool:
        value = obj.get("status")
        if status is None:
            return value != "canceled"
        if status == "ended":
            return value in ("canceled", "incomplete_expired")
        return status == "all" or value == status

    def by_price(obj: Mapping[str, Any]) -> bool:
        return price is None or any(ref_id(item.get("price")) == price for item in obj["items"])

    return _all(_equals("customer", params.get("customer")), by_status, by_price)


def list_products(params: Params) -> Predicate:
    """`ids[]` (any of these ids) and `active`."""
    ids = set(params.array("ids"))
    return _all(lambda obj: not ids or obj["id"] in ids, _active(params))


def list_prices(params: Params) -> Predicate:
    """`product`, `currency`, `type`, `active`."""
    return _all(
        _equals("product", params.get("product")),
        _equals("currency", params.get("currency")),
        _equals("type", params.get("type")),
        _active(params),
    )


def _routes(resource: Resource, filters: Callable[[Params], Predicate]) -> list[BaseRoute]:
    async def do_list(request: Request) -> Response:
        return endpoints.list_objects(request, resource, filters(Params(request.url.query)))

    async def do_search(request: Request) -> Response:
        return endpoints.search(request, resource)

    async def do_retrieve(request: Request) -> Response:
        return endpoints.retrieve(request, resource)

    return [
        Route(resource.url, do_list, methods=["GET"]),
        Route(f"{resource.url}/search", do_search, methods=["GET"]),
        Route(f"{resource.url}/{{id}}", do_retrieve, methods=["GET"]),
    ]


routes: list[BaseRoute] = [
    *_routes(CUSTOMERS, list_customers),
    *_routes(CHARGES, list_charges),
    *_routes(SUBSCRIPTIONS, list_subscriptions),
    *_routes(PRODUCTS, list_products),
    *_routes(PRICES, list_prices),
]
