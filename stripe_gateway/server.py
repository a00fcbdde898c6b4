"""The Starlette app: /graphql, /healthz, /readyz, /webhooks/stripe behind the security
middleware (CORS, authentication, body limit); services opened and closed in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket

from stripe_gateway import graphiql
from stripe_gateway.auth import Authenticator, AuthMiddleware
from stripe_gateway.body_limit import BodyLimitMiddleware
from stripe_gateway.cache import StripeCache
from stripe_gateway.config import Settings, load_settings
from stripe_gateway.contacts import ContactStore
from stripe_gateway.graphql_http import SafeGraphQL, configure_view
from stripe_gateway.http_errors import http_exception_handler, unexpected_error_handler
from stripe_gateway.matching import MatchSettings, PublicDomains
from stripe_gateway.resolvers.context import GatewayContext, Services
from stripe_gateway.schema import build_schema
from stripe_gateway.security import log_serving_policy
from stripe_gateway.stripe_api.reader import StripeReader
from stripe_gateway.webhooks import WebhookProcessor, stripe_webhook

logger = logging.getLogger("stripe_gateway")


class GatewayGraphQL(SafeGraphQL):
    """Strawberry's ASGI view with a fresh context (loaders, match memo) per request, and
    typed JSON errors for every refusal before execution (`graphql_http`)."""

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GatewayContext:
        services: Services = request.app.state.services
        return GatewayContext(services=services)

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from vendored files under a strict CSP (stripe_gateway.graphiql)."""
        return graphiql.graphiql_page(request)


async def open_services(settings: Settings) -> Services:
    """Connect the contact store and the Stripe client."""
    store = await ContactStore.open(
        settings.database_url, custom_data_max_bytes=settings.contact_custom_data_max_bytes
    )
    return Services(
        settings=settings,
        contacts=store,
        stripe=StripeReader(settings),
        match_settings=MatchSettings(
            public_domains=PublicDomains.from_lists(
                settings.match_public_domains_add, settings.match_public_domains_remove
            ),
            search_enabled=settings.stripe_search_enabled,
        ),
        cache=StripeCache.open(settings),
    )


async def close_services(services: Services) -> None:
    await services.stripe.aclose()
    await services.cache.aclose()
    await services.contacts.close()


async def healthz(request: Request) -> Response:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Readiness: the contact store answers."""
    services: Services = request.app.state.services
    try:
        await services.contacts.ping()
    except Exception:
        logger.exception("readiness check failed: contact store")
        return JSONResponse({"status": "unavailable", "contacts": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "contacts": "up"})


def create_app(settings: Settings | None = None) -> Starlette:
    """The gateway as an ASGI app; settings from the environment unless given."""
    settings = settings or load_settings()
    # Refuses (ConfigError) no credentials, an sk_live_ key, a bad JWT key; logs warnings.
    log_serving_policy(settings)
    authenticator = Authenticator.from_settings(settings)
    schema = build_schema(federation=settings.graphql_federation)
    graphql: Any = GatewayGraphQL(schema, graphql_ide="graphiql")
    configure_view(graphql, settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.services = services = await open_services(settings)
        app.state.webhooks = WebhookProcessor(
            services.cache, services.stripe.charge_customer_id, livemode=settings.stripe_livemode
        )
        try:
            yield
        finally:
            await app.state.webhooks.aclose()
            await close_services(app.state.services)

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            graphiql.static_mount(),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/webhooks/stripe", stripe_webhook, methods=["POST"]),
        ],
        lifespan=lifespan,
        middleware=security_middleware(settings, authenticator),
        exception_handlers={
            HTTPException: http_exception_handler,
            Exception: unexpected_error_handler,
        },
    )


def security_middleware(settings: Settings, authenticator: Authenticator) -> list[Middleware]:
    """Outermost first: CORS (so preflights are answered), authentication (401 before
    anything is read), then the body size limit (413)."""
    stack: list[Middleware] = []
    if settings.gateway_cors_origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.gateway_cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                max_age=600,
            )
        )
    stack += [
        Middleware(
            AuthMiddleware,
            authenticator=authenticator,
            enabled=settings.gateway_auth,
            graphiql_open=settings.graphiql_enabled,
            open_prefixes=(graphiql.STATIC_PATH + "/",) if settings.graphiql_enabled else (),
        ),
        Middleware(BodyLimitMiddleware, max_bytes=settings.gateway_max_body_bytes),
    ]
    return stack
