"""What every resolver of one GraphQL request can reach: services, loaders, memoized matches."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from stripe_gateway.cache import StripeCache
from stripe_gateway.config import Settings
from stripe_gateway.contacts import Contact, ContactStore
from stripe_gateway.matching import MatchResult, MatchSettings
from stripe_gateway.stripe_api.loaders import StripeLoaders
from stripe_gateway.stripe_api.reader import StripeReader


@dataclass(frozen=True)
class Services:
    """The long-lived parts, built once in the server's lifespan."""

    settings: Settings
    contacts: ContactStore
    stripe: StripeReader
    match_settings: MatchSettings
    cache: StripeCache


@dataclass
class GatewayContext:
    """Per-request state: DataLoaders and the memo of matches, so each is fetched once."""

    services: Services
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    loaders: StripeLoaders = field(init=False)
    contact_loader: DataLoader[str, Contact | None] = field(init=False)
    matches: dict[Any, asyncio.Task[MatchResult]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.loaders = StripeLoaders(
            self.services.stripe,
            cache=self.services.cache,
            search_enabled=self.services.settings.stripe_search_enabled,
            batching=self.services.settings.stripe_batching_enabled,
        )
        self.contact_loader = DataLoader(self._load_contacts)

    async def _load_contacts(self, ids: list[str]) -> list[Contact | None]:
        return await self.services.contacts.get_many(ids)


Info = strawberry.Info[GatewayContext, None]
