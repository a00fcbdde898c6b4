"""Resolvers for Stripe data nested under a customer: charges, subscriptions, products."""

from __future__ import annotations

from stripe_gateway.errors import BadUserInput
from stripe_gateway.matching import CUSTOMER_ID_KEY, InvalidValue, customer_id_from
from stripe_gateway.records import ChargePage, Customer, Product, Subscription
from stripe_gateway.resolvers.context import GatewayContext
from stripe_gateway.stripe_api.loaders import ChargesKey

MAX_PAGE_SIZE = 100
ENDED_STATUSES = frozenset({"canceled", "incomplete_expired"})


def check_page_size(first: int, maximum: int = MAX_PAGE_SIZE) -> int:
    """`first` must be 1 to `maximum` (GATEWAY_MAX_PAGE_SIZE, at most Stripe's page limit)."""
    if not 1 <= first <= maximum:
        raise BadUserInput(f"`first` must be between 1 and {maximum}, not {first}")
    return first


async def customer_by_id(context: GatewayContext, customer_id: str) -> Customer | None:
    """A customer by Stripe id; None for an unknown or deleted one."""
    checked = customer_id_from({CUSTOMER_ID_KEY: customer_id})
    if checked is None or isinstance(checked, InvalidValue):
        raise BadUserInput("`id` is not a valid Stripe customer id")
    customer = await context.loaders.customer.load(checked)
    return None if customer is None or customer.deleted else customer


async def charges(
    context: GatewayContext, customer_id: str, first: int, after: str | None
) -> ChargePage:
    """One page of a customer's charges, newest first."""
    maximum = context.services.settings.gateway_max_page_size
    key = ChargesKey(customer_id, check_page_size(first, maximum), after or None)
    return await context.loaders.charges.load(key)


async def subscriptions(
    context: GatewayContext, customer: Customer, include_ended: bool
) -> list[Subscription]:
    """A customer's subscriptions, newest first; ended ones only when asked for.

    The current ones usually came expanded with the customer (no request). The naive
    baseline (`STRIPE_BATCHING_ENABLED=false`) asks for every nested list on its own."""
    if customer.subscriptions is not None and not include_ended and context.loaders.batching:
        found = list(customer.subscriptions)
    else:
        found = await context.loaders.subscriptions.load(customer.id)
    if not include_ended:
        found = [s for s in found if s.status not in ENDED_STATUSES]
    return sorted(found, key=lambda s: (-s.created, s.id))


async def product(context: GatewayContext, product_id: str) -> Product | None:
    """A product by id, loaded in batches through the products list's `ids[]`."""
    if not product_id:
        return None
    return await context.loaders.product.load(product_id)
