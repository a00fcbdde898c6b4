"""Choosing among several candidates of one step (Stripe allows duplicate customers)."""

from __future__ import annotations

from collections.abc import Iterable

from stripe_gateway.records import Customer


def _rank_key(customer: Customer) -> tuple[bool, int, str]:
    return (not customer.has_live_subscription, -customer.created, customer.id)


def rank_candidates(candidates: Iterable[Customer]) -> list[Customer]:
    """Best first: a live subscription (active, trialing, past_due), then the most recently
    created, then by id ascending. Deterministic whatever order the candidates came in."""
    return sorted(candidates, key=_rank_key)


def why_first(ranked: list[Customer]) -> str | None:
    """Which tie-breaker put `ranked[0]` ahead of `ranked[1]` (None for a single candidate)."""
    if len(ranked) < 2:
        return None
    best, runner_up = ranked[0], ranked[1]
    if best.has_live_subscription and not runner_up.has_live_subscription:
        return "it has a live subscription"
    if best.created != runner_up.created:
        return "it is the most recently created"
    return "it has the lowest id"
