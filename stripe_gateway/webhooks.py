"""`POST /webhooks/stripe`: Stripe's events, verified, then applied to the cache.

The endpoint answers at once: it checks the signature (STRIPE_WEBHOOK_SECRET, tolerance
STRIPE_WEBHOOK_TOLERANCE_SECONDS), drops an event id it has already taken, queues the
event and says `200`. One background worker applies queued events in arrival order:

- `customer.created` / `customer.updated`: the payload is the customer, so the cache
  remembers it at once, by id and in the email and domain lookups it belongs to (a new
  customer matches by email before Stripe's search has indexed it). A snapshot older than
  one already applied for that customer is ignored (Stripe does not order deliveries).
- `customer.deleted`: the customer is forgotten and answered as deleted.
- `customer.subscription.*`: that customer's subscriptions, and the entries that hold the
  customer with subscriptions expanded, are dropped.
- Other `customer.*` (discounts, sources, tax ids): that customer's entries are dropped.
- `charge.*`: that customer's charges are dropped. `charge.refund.*` and `charge.dispute.*`
  carry a refund or dispute, which names the charge but not its customer: when the charge
  is not expanded, the worker reads it (one Stripe request, in the background) to learn whose
  charges to drop.

Anything else is acknowledged and ignored. An unsigned, forged, stale or malformed delivery
is answered `400` and changes nothing; without a configured secret the endpoint answers
`404`. Redelivery is harmless: every action is idempotent, and recent event ids (up to
`SEEN_EVENTS`) are remembered and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from stripe_gateway.config import Settings
from stripe_gateway.errors import GatewayError
from stripe_gateway.http_errors import error_response
from stripe_gateway.records import Customer
from stripe_gateway.stripe_api import convert
from stripe_gateway.stripe_api.webhook_signature import InvalidWebhook, verify_event

logger = logging.getLogger("stripe_gateway.webhooks")

SEEN_EVENTS = 10_000
QUEUE_SIZE = 10_000
SHUTDOWN_GRACE_SECONDS = 5.0


class CacheInvalidation(Protocol):
    """What the worker needs from the cache (`stripe_gateway.cache.StripeCache`)."""

    async def remember_customer(self, customer: Customer) -> None: ...
    async def forget_customer(self, customer_id: str) -> None: ...
    async def invalidate_customer(self, customer_id: str) -> None: ...
    async def invalidate_charges(self, customer_id: str) -> None: ...
    async def invalidate_subscriptions(self, customer_id: str) -> None: ...


ChargeOwner = Callable[[str], Awaitable[str | None]]


def _id(value: object) -> str | None:
    """An id from a field that is either the id or the expanded object."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"] or None
    return None


class _Bounded:
    """An insertion-ordered map that forgets its oldest entries past `size`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[str, int] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self.items

    def get(self, key: str) -> int | None:
        return self.items.get(key)

    def put(self, key: str, value: int = 0) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)

    def discard(self, key: str) -> None:
        self.items.pop(key, None)


class WebhookProcessor:
    """Takes verified events and applies them to the cache, one at a time, in order."""

    def __init__(
        self,
        cache: CacheInvalidation,
        charge_owner: ChargeOwner,
        *,
        livemode: bool | None = None,
    ) -> None:
        self.cache = cache
        self.charge_owner = charge_owner
        self.livemode = livemode
        self.seen = _Bounded(SEEN_EVENTS)
        self.snapshots = _Bounded(SEEN_EVENTS)
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self.worker: asyncio.Task[None] | None = None
        self.applied = 0

    def submit(self, event: dict[str, Any]) -> str:
        """`queued`, `duplicate`, `ignored` (other mode) or `busy` (queue full)."""
        event_id: str = event["id"]
        if event_id in self.seen:
            return "duplicate"
        if self.livemode is not None and bool(event.get("livemode")) != self.livemode:
            return "ignored"
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            return "busy"
        self.seen.put(event_id)
        if self.worker is None or self.worker.done():
            self.worker = asyncio.create_task(self._work(), name="stripe-webhooks")
        return "queued"

    async def drain(self) -> None:
        """Wait until every queued event has been applied (tests, shutdown)."""
        await self.queue.join()

    async def aclose(self) -> None:
        """Apply what is queued (up to a grace period), then stop the worker."""
        if self.worker is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.queue.join(), SHUTDOWN_GRACE_SECONDS)
        self.worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.worker

    async def _work(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                await self.apply(event)
                self.applied += 1
            except Exception:
                logger.exception(
                    "webhook event %s (%s) could not be applied", event["id"], event["type"]
                )
            finally:
                self.queue.task_done()

    async def apply(self, event: dict[str, Any]) -> None:
        """Update or invalidate exactly what the event touches."""
        kind: str = event["type"]
        obj: dict[str, Any] = event["data"]["object"]
        created = event.get("created")
        created = created if isinstance(created, int) else 0
        if kind.startswith("customer.subscription."):
            customer_id = _id(obj.get("customer"))
            if customer_id:
                await self.cache.invalidate_subscriptions(customer_id)
        elif kind in ("customer.created", "customer.updated", "customer.deleted"):
            await self._customer(kind, obj, created)
        elif kind.startswith("customer."):
            customer_id = _id(obj.get("customer"))
            if customer_id:
                await self.cache.invalidate_customer(customer_id)
        elif kind.startswith(("charge.refund.", "charge.dispute.")):
            customer_id = await self._owner_of(obj.get("charge"))
            if customer_id:
                await self.cache.invalidate_charges(customer_id)
        elif kind.startswith("charge."):
            customer_id = _id(obj.get("customer"))
            if customer_id:
                await self.cache.invalidate_charges(customer_id)

    async def _customer(self, kind: str, obj: dict[str, Any], created: int) -> None:
        customer_id = _id(obj.get("id"))
        if customer_id is None:
            return
        latest = self.snapshots.get(customer_id)
        if latest is not None and created < latest:
            logger.info("webhook: older snapshot of %s ignored", customer_id)
            return
        self.snapshots.put(customer_id, created)
        if kind == "customer.deleted" or obj.get("deleted"):
            await self.cache.forget_customer(customer_id)
            return
        try:
            customer = convert.customer(obj)
        except (KeyError, TypeError, ValueError):
            logger.warning("webhook: malformed customer %s; its entries dropped", customer_id)
            await self.cache.invalidate_customer(customer_id)
            return
        await self.cache.remember_customer(customer)

    async def _owner_of(self, charge: object) -> str | None:
        if isinstance(charge, dict):
            owner = _id(charge.get("customer"))
            if owner:
                return owner
        charge_id = _id(charge)
        if charge_id is None:
            return None
        try:
            return await self.charge_owner(charge_id)
        except GatewayError as exc:
            logger.warning("webhook: charge %s unreadable (%s)", charge_id, exc.code)
            return None


async def stripe_webhook(request: Request) -> Response:
    """The endpoint: verify, deduplicate, queue, answer."""
    settings: Settings = request.app.state.services.settings
    processor: WebhookProcessor | None = getattr(request.app.state, "webhooks", None)
    if not settings.webhook_secrets or processor is None:
        return error_response(
            404,
            "Stripe webhooks are not enabled on this gateway (STRIPE_WEBHOOK_SECRET is not set)",
        )
    payload = await request.body()
    try:
        event = verify_event(
            payload,
            request.headers.get("stripe-signature"),
            settings.webhook_secrets,
            tolerance_seconds=settings.stripe_webhook_tolerance_seconds,
        )
    except InvalidWebhook as exc:
        logger.warning("webhook refused: %s", exc.message)
        return error_response(400, f"webhook refused: {exc.message}")
    outcome = processor.submit(event)
    if outcome == "busy":
        return error_response(503, "webhook queue full; Stripe will retry", code="RATE_LIMITED")
    return JSONResponse({"received": True, "status": outcome})
