"""The GraphQL schema: Strawberry types over the resolvers. No I/O of its own."""

from __future__ import annotations

import strawberry

from stripe_gateway.schema.errors import ErrorCodes
from stripe_gateway.schema.operations import Mutation, Query


def build_schema() -> strawberry.Schema:
    """The standalone schema."""
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=[ErrorCodes])


__all__ = ["build_schema"]
