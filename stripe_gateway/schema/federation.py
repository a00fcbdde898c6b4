"""The schema as an Apollo Federation v2 subgraph that adds Stripe data to another service's
`Contact`.

Here the gateway owns no contacts: another subgraph resolves `Contact`; this one declares
`Contact @key(fields: "id")` with `email` and `customData` `@external`, and adds
`stripeMatch` and `stripeCustomer` `@requires(fields: "email customData")`. The router
sends both in every `_entities` representation; they go through the same per-request
match memo and DataLoaders as the standalone `contacts` list, so a page of contacts costs
the same Stripe requests either way. `StripeCustomer @key(fields: "id")` is an entity too.

Root fields kept: `stripeMatch(contact:)` (match a contact given inline) and
`stripeCustomer(id:)`. The contact store's `contact`, `contacts` and mutations are left out.

Every other type of ours is named with a `Stripe` prefix in this schema (`StripeCharge`,
`StripePageInfo`, `StripeContactInput`, ...): value types with the same name in two
subgraphs must be `@shareable` in both, and a contacts subgraph may well have its own
`PageInfo`, `Money` or `ContactInput`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.enum import StrawberryEnumDefinition

from stripe_gateway.errors import BadUserInput
from stripe_gateway.resolvers import stripe as stripe_resolvers
from stripe_gateway.resolvers.context import Info
from stripe_gateway.schema.contact_types import ContactInput, stripe_match_of
from stripe_gateway.schema.errors import ErrorCodes
from stripe_gateway.schema.match_types import StripeMatch
from stripe_gateway.schema.stripe_types import StripeCustomer

FEDERATION_VERSION: Final = "2.3"
"""The `@link` version printed: 2.3 has all this subgraph uses (`@key`, `@external`,
`@requires`) and is understood by every Federation 2 router and gateway since early 2023."""

REQUIRED = ("email", "customData")
"""What `stripeMatch` and `stripeCustomer` need from the owning subgraph: GraphQL names, as
the router sends them (Strawberry does not convert names inside `@requires`)."""

PREFIX = "Stripe"
UNPREFIXED = frozenset({"Query", "Contact"})


@strawberry.federation.type(
    keys=["id"],
    name="StripeCustomer",
    description="A Stripe customer; an entity other subgraphs can reference by `id`.",
)
class FederatedStripeCustomer(StripeCustomer):
    @classmethod
    async def resolve_reference(
        cls, info: Info, **representation: Any
    ) -> FederatedStripeCustomer | None:
        """By id through the customer DataLoader; null when unknown or deleted."""
        found = await stripe_resolvers.customer_by_id(
            info.context, _string(representation, "id", "StripeCustomer") or ""
        )
        return cls.of(found) if found else None


@strawberry.type(
    name="StripeMatch",
    description="The Stripe customer a contact pays as, and how it was found.",
)
class FederatedStripeMatch(StripeMatch):
    @strawberry.field(description="Null when nothing matched; an error when Stripe failed.")
    def customer(self) -> FederatedStripeCustomer | None:
        found = self.matched()
        return FederatedStripeCustomer.of(found) if found else None

    @strawberry.field(description="Other customers the winning step found, in order of preference.")
    def alternatives(self) -> list[FederatedStripeCustomer]:
        return [FederatedStripeCustomer.of(c) for c in self.result.alternatives]


async def _match(info: Info, email: str | None, custom_data: Any) -> FederatedStripeMatch:
    """The shared, memoized match (the same DataLoaders as the standalone schema)."""
    return FederatedStripeMatch.of((await stripe_match_of(info, email, custom_data)).result)


@strawberry.federation.type(keys=["id"], name="Contact")
class FederatedContact:
    """A contact owned by another subgraph (no description here: the owner's is used)."""

    id: strawberry.ID
    email: str | None = strawberry.federation.field(external=True)
    custom_data: JSON | None = strawberry.federation.field(external=True)

    @strawberry.federation.field(
        requires=[" ".join(REQUIRED)],
        description="Which Stripe customer this contact pays as, and how it was found.",
    )
    async def stripe_match(self, info: Info) -> FederatedStripeMatch:
        return await _match(info, self.email, self.custom_data)

    @strawberry.federation.field(
        requires=[" ".join(REQUIRED)], description="Shortcut for stripeMatch.customer."
    )
    async def stripe_customer(self, info: Info) -> FederatedStripeCustomer | None:
        found = (await _match(info, self.email, self.custom_data)).matched()
        return FederatedStripeCustomer.of(found) if found else None

    @classmethod
    def resolve_reference(cls, info: Info, **representation: Any) -> FederatedContact:
        """A contact from the router's representation, which must carry the required
        fields; one without them is an error for that entity alone."""
        contact_id = _string(representation, "id", "Contact")
        if contact_id is None:
            raise BadUserInput("Contact representation has no `id`")
        missing = [name for name in REQUIRED if name not in representation]
        if missing:
            raise BadUserInput(
                f"Contact {contact_id}: the representation lacks {' and '.join(missing)}; "
                'stripeMatch and stripeCustomer @requires(fields: "email customData")'
            )
        custom_data = representation["customData"]
        if custom_data is not None and not isinstance(custom_data, dict):
            raise BadUserInput(f"Contact {contact_id}: customData must be a JSON object")
        return cls(
            id=strawberry.ID(contact_id),
            email=_string(representation, "email", "Contact"),
            custom_data=JSON(custom_data),
        )


def _string(representation: dict[str, Any], key: str, typename: str) -> str | None:
    value = representation.get(key)
    if value is None or isinstance(value, str):
        return value
    if key == "id" and isinstance(value, int):
        return str(value)
    raise BadUserInput(f"{typename} representation: `{key}` must be a string")


@strawberry.type(name="Query")
class FederatedQuery:
    @strawberry.field(description="Match a contact given inline (not one of the supergraph's).")
    async def stripe_match(self, info: Info, contact: ContactInput) -> FederatedStripeMatch:
        return await _match(info, contact.email, contact.custom_data)

    @strawberry.field(description="A Stripe customer by id; null when unknown or deleted.")
    async def stripe_customer(
        self, info: Info, id: strawberry.ID
    ) -> FederatedStripeCustomer | None:
        found = await stripe_resolvers.customer_by_id(info.context, str(id))
        return FederatedStripeCustomer.of(found) if found else None


class PrefixedNames(NameConverter):
    """Our object, input and enum types get the `Stripe` prefix unless they have it, so
    they never collide with another subgraph's value types; entities, `Query`, scalars and
    Federation's own types keep their names."""

    def from_object(self, object_type: StrawberryObjectDefinition) -> str:
        return _prefixed(super().from_object(object_type), object_type.origin)

    def from_enum(self, enum: StrawberryEnumDefinition) -> str:
        return _prefixed(super().from_enum(enum), enum.wrapped_cls)


def _prefixed(name: str, origin: type) -> str:
    ours = origin.__module__.startswith("stripe_gateway.")
    if not ours or name in UNPREFIXED or name.startswith((PREFIX, "_")):
        return name
    return PREFIX + name


class FederatedGatewaySchema(strawberry.federation.Schema):
    """Strawberry's federation schema, minus its logging of every error (as `GatewaySchema`)."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        return None


def build_federation_schema(
    extensions: Iterable[type[SchemaExtension] | Callable[[], SchemaExtension]] = (),
) -> strawberry.federation.Schema:
    """The subgraph schema; `extensions` run after `ErrorCodes` (e.g. DisableIntrospection)."""
    return FederatedGatewaySchema(
        query=FederatedQuery,
        types=[FederatedContact, FederatedStripeCustomer],
        extensions=[ErrorCodes, *extensions],
        config=StrawberryConfig(name_converter=PrefixedNames()),
        federation_version=FEDERATION_VERSION,
    )
