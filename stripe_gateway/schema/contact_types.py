"""GraphQL types for helpdesk contacts and their Stripe match."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from stripe_gateway import contacts
from stripe_gateway.resolvers.context import Info
from stripe_gateway.resolvers.matching import match_for
from stripe_gateway.schema.match_types import StripeMatch
from stripe_gateway.schema.pagination import PageInfo
from stripe_gateway.schema.stripe_types import StripeCustomer


async def stripe_match_of(info: Info, email: str | None, custom_data: Any) -> StripeMatch:
    """The contact's match; every field of one contact shares one run of the rule."""
    return StripeMatch.of(await match_for(info.context, email, custom_data))


async def stripe_customer_of(
    info: Info, email: str | None, custom_data: Any
) -> StripeCustomer | None:
    """The matched customer alone; raises the Stripe error when matching failed."""
    found = (await stripe_match_of(info, email, custom_data)).matched()
    return StripeCustomer.of(found) if found else None


@strawberry.type(description="A helpdesk contact.")
class Contact:
    id: strawberry.ID
    name: str | None
    email: str | None
    custom_data: JSON
    created_at: datetime
    updated_at: datetime

    @strawberry.field(
        description="Which Stripe customer this contact pays as, and how it was found."
    )
    async def stripe_match(self, info: Info) -> StripeMatch:
        return await stripe_match_of(info, self.email, self.custom_data)

    @strawberry.field(description="Shortcut for stripeMatch.customer.")
    async def stripe_customer(self, info: Info) -> StripeCustomer | None:
        return await stripe_customer_of(info, self.email, self.custom_data)

    @classmethod
    def of(cls, c: contacts.Contact) -> Contact:
        return cls(
            id=strawberry.ID(c.id),
            name=c.name,
            email=c.email,
            custom_data=JSON(c.custom_data),
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


@strawberry.type
class ContactEdge:
    cursor: str
    node: Contact


@strawberry.type
class ContactConnection:
    edges: list[ContactEdge]
    page_info: PageInfo

    @classmethod
    def of(cls, page: contacts.ContactPage) -> ContactConnection:
        return cls(
            edges=[ContactEdge(cursor=cur, node=Contact.of(c)) for cur, c in page.edges],
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.start_cursor,
                end_cursor=page.end_cursor,
            ),
        )


@strawberry.input(description="A contact to store or update; fields left out are kept.")
class IdentifyContactInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    custom_data: JSON | None = strawberry.field(
        default=strawberry.UNSET,
        description="Merged key by key into the stored object; a key set to null is removed.",
    )


@strawberry.input(description="A contact that is not stored, to match against Stripe.")
class ContactInput:
    name: str | None = None
    email: str | None = None
    custom_data: JSON | None = None
