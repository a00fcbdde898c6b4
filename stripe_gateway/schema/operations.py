"""The root Query and Mutation types."""

from __future__ import annotations

import strawberry

from stripe_gateway.resolvers import contacts as contact_resolvers
from stripe_gateway.resolvers import stripe as stripe_resolvers
from stripe_gateway.resolvers.context import Info
from stripe_gateway.schema.contact_types import (
    Contact,
    ContactConnection,
    ContactInput,
    IdentifyContactInput,
    stripe_match_of,
)
from stripe_gateway.schema.match_types import StripeMatch
from stripe_gateway.schema.stripe_types import StripeCustomer


@strawberry.type
class Query:
    @strawberry.field(description="A stored contact by id; null when there is none.")
    async def contact(self, info: Info, id: strawberry.ID) -> Contact | None:
        found = await contact_resolvers.contact(info.context, str(id))
        return Contact.of(found) if found else None

    @strawberry.field(description="Stored contacts, oldest first; `search` filters name and email.")
    async def contacts(
        self, info: Info, first: int = 20, after: str | None = None, search: str | None = None
    ) -> ContactConnection:
        page = await contact_resolvers.contacts(info.context, first, after, search)
        return ContactConnection.of(page)

    @strawberry.field(description="Match a contact that is not stored.")
    async def stripe_match(self, info: Info, contact: ContactInput) -> StripeMatch:
        return await stripe_match_of(info, contact.email, contact.custom_data)

    @strawberry.field(description="A Stripe customer by id; null when unknown or deleted.")
    async def stripe_customer(self, info: Info, id: strawberry.ID) -> StripeCustomer | None:
        found = await stripe_resolvers.customer_by_id(info.context, str(id))
        return StripeCustomer.of(found) if found else None


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Store or update a contact, like a helpdesk SDK's identify.")
    async def identify_contact(self, info: Info, input: IdentifyContactInput) -> Contact:
        fields = {
            name: value
            for name, value in (
                ("name", input.name),
                ("email", input.email),
                ("custom_data", input.custom_data),
            )
            if value is not strawberry.UNSET
        }
        stored = await contact_resolvers.identify(info.context, str(input.id), fields)
        return Contact.of(stored)

    @strawberry.mutation(description="Delete a stored contact; false when there was none.")
    async def delete_contact(self, info: Info, id: strawberry.ID) -> bool:
        return await contact_resolvers.delete(info.context, str(id))
