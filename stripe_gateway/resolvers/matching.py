"""Resolve a contact's Stripe match, once per contact and request."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from stripe_gateway.matching import MatchResult, match_contact
from stripe_gateway.resolvers.context import GatewayContext


async def match_for(
    context: GatewayContext, email: str | None, custom_data: Mapping[str, Any] | None
) -> MatchResult:
    """The match for these inputs; fields asking the same contact share one run."""
    key = (email, json.dumps(custom_data, sort_keys=True, default=str))
    task = context.matches.get(key)
    if task is None:
        task = asyncio.ensure_future(
            match_contact(
                email=email,
                custom_data=custom_data,
                lookup=context.loaders,
                settings=context.services.match_settings,
            )
        )
        context.matches[key] = task
    return await task
