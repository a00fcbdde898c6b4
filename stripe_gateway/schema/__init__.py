"""The GraphQL schema: Strawberry types over the resolvers. No I/O of its own."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError

from stripe_gateway.schema.errors import ErrorCodes
from stripe_gateway.schema.operations import Mutation, Query


class GatewaySchema(strawberry.Schema):
    """Strawberry's schema, minus its logging of every error: typed errors are answers,
    not incidents; `ErrorCodes` logs the unexpected ones with their request id."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        return None


def build_schema(federation: bool = False) -> strawberry.Schema:
    """The standalone schema, or with `federation` the Apollo Federation v2 subgraph that
    adds Stripe data to another service's `Contact` (see `schema.federation`)."""
    if federation:
        from stripe_gateway.schema.federation import build_federation_schema

        return build_federation_schema()
    return GatewaySchema(query=Query, mutation=Mutation, extensions=[ErrorCodes])


__all__ = ["build_schema"]
