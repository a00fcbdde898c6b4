"""The cross-request cache of Stripe lookups (aiocache: memory or Redis), keys and TTLs,
single flight for concurrent misses, and invalidation for webhooks."""

from stripe_gateway.cache.codec import RecentCharges
from stripe_gateway.cache.stripe_cache import StripeCache

__all__ = ["RecentCharges", "StripeCache"]
