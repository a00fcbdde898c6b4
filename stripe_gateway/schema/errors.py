"""Give every GraphQL error an `extensions.code`, and mask the unexpected ones."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from stripe_gateway.errors import GatewayError

logger = logging.getLogger("stripe_gateway.errors")


class ErrorCodes(SchemaExtension):
    """Typed errors keep their message and code; anything else becomes INTERNAL.

    An unexpected error is logged with the request id and answered with only that id,
    so nothing internal (or secret) reaches the caller.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [self._typed(error) for error in result.errors]

    def _typed(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            # Parse, validation and variable coercion errors: the request itself is wrong.
            extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
            return _copy(error, error.message, extensions)
        if isinstance(original, GatewayError):
            return _copy(error, original.message, original.extensions)
        request_id = getattr(self.execution_context.context, "request_id", "unknown")
        logger.error(
            "unexpected error in request %s at %s",
            request_id,
            error.path,
            exc_info=(type(original), original, original.__traceback__),
        )
        return _copy(
            error,
            f"Internal error; quote request id {request_id} to the operator",
            {"code": "INTERNAL", "requestId": request_id},
        )


def _copy(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )
