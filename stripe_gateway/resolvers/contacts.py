"""Resolvers over the contact store."""

from __future__ import annotations

from typing import Any

from stripe_gateway.contacts import UNSET, Contact, ContactPage
from stripe_gateway.errors import BadUserInput
from stripe_gateway.resolvers.context import GatewayContext


async def contact(context: GatewayContext, contact_id: str) -> Contact | None:
    """A stored contact, batched with the other contacts of the request."""
    return await context.contact_loader.load(contact_id)


async def contacts(
    context: GatewayContext, first: int, after: str | None, search: str | None
) -> ContactPage:
    """A page of stored contacts, optionally filtered by a name or email substring."""
    maximum = context.services.settings.gateway_max_page_size
    if first > maximum:
        raise BadUserInput(f"`first` must be between 0 and {maximum}, not {first}")
    return await context.services.contacts.list(first=first, after=after, search=search)


async def identify(context: GatewayContext, contact_id: str, fields: dict[str, Any]) -> Contact:
    """Upsert a contact like a helpdesk SDK's `identify`: only given fields change."""
    return await context.services.contacts.identify(
        contact_id,
        name=fields.get("name", UNSET),
        email=fields.get("email", UNSET),
        custom_data=fields.get("custom_data", UNSET),
    )


async def delete(context: GatewayContext, contact_id: str) -> bool:
    """Delete a stored contact; False when there was none."""
    return await context.services.contacts.delete(contact_id)
