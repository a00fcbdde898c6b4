"""Strawberry's ASGI view, made strict at the HTTP edge.

- Every refusal Strawberry gives before execution (malformed JSON, a body that is not a
  JSON object, a wrong content type, no query, batching off) is a `400` with a typed JSON
  body instead of plain text; nothing a client sends can make it answer 500.
- A mutation over GET is `405` with `Allow: POST` (GET runs queries only).
- GraphiQL is served only when enabled (GATEWAY_GRAPHIQL, on outside production), and no
  websocket protocol is offered (the schema has no subscriptions).
"""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError

from stripe_gateway.config import Settings
from stripe_gateway.http_errors import error_response
from stripe_gateway.resolvers.context import GatewayContext
from stripe_gateway.schema.limits import harden_schema

NOT_AN_OBJECT = "the request body must be a JSON object with a `query` string"


class _MethodNotAllowed(HTTPException):
    pass


class SafeGraphQL(GraphQL[GatewayContext, None]):
    """`GraphQL` whose every early refusal is a typed JSON error."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except _MethodNotAllowed as exc:
            response = error_response(exc.status_code, exc.reason, headers={"Allow": "POST"})
        except HTTPException as exc:
            headers = {"Allow": "GET, POST"} if exc.status_code == 405 else None
            response = error_response(exc.status_code, exc.reason, headers=headers)
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        try:
            value = json.loads(data)
        except RecursionError:
            raise HTTPException(400, "the JSON is nested too deeply") from None
        except UnicodeDecodeError:
            raise HTTPException(400, "the request body is not UTF-8") from None
        if isinstance(value, dict):
            return value
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return value
        raise HTTPException(400, NOT_AN_OBJECT)

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        for item in parsed if isinstance(parsed, list) else [parsed]:
            if not isinstance(item.query, str | None):
                raise HTTPException(400, "`query` must be a string")
            if not isinstance(item.variables, dict | None):
                raise HTTPException(400, "`variables` must be an object")
            if not isinstance(item.operation_name, str | None):
                raise HTTPException(400, "`operationName` must be a string")
        return parsed

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                raise _MethodNotAllowed(
                    405, "mutations are accepted over POST only, not GET"
                ) from None
            raise


def configure_view(view: GraphQL[Any, Any], settings: Settings) -> None:
    """Apply the settings' query limits, GraphiQL switch and protocol list to a view."""
    harden_schema(view.schema, settings)  # type: ignore[arg-type]
    view.graphql_ide = "graphiql" if settings.graphiql_enabled else None
    view.protocols = ()
