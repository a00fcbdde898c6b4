"""The matching rule of DESIGN.md: CUSTOMER_ID, then EMAIL, then DOMAIN, then NONE.

Each step runs only when the one before it missed, so a contact matched by id costs one
lookup and a contact with neither email nor customer id costs none. A lookup that fails
(`StripeFailure`) is never a miss: matching stops at that step and reports the error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from stripe_gateway.errors import StripeFailure
from stripe_gateway.matching.emails import (
    CUSTOMER_ID_KEY,
    InvalidValue,
    ParsedEmail,
    customer_id_from,
    email_domain,
    email_key,
    read_email,
)
from stripe_gateway.matching.selection import rank_candidates, why_first
from stripe_gateway.matching.types import (
    CustomerLookup,
    MatchMethod,
    MatchResult,
    MatchSettings,
    MatchStep,
    StepOutcome,
)
from stripe_gateway.records import Customer

SEARCH_UNAVAILABLE = (
    "Stripe Search is not available for this account, and matching by domain needs it"
)

_T = TypeVar("_T")
_ID, _EMAIL, _DOMAIN = MatchMethod.CUSTOMER_ID, MatchMethod.EMAIL, MatchMethod.DOMAIN


class _Failed(Exception):
    """A lookup raised StripeFailure during `method`: matching stops there."""

    def __init__(self, method: MatchMethod, error: StripeFailure) -> None:
        super().__init__(method, error)
        self.method = method
        self.error = error


async def _call(method: MatchMethod, lookup: Callable[[str], Awaitable[_T]], key: str) -> _T:
    try:
        return await lookup(key)
    except StripeFailure as exc:
        raise _Failed(method, exc) from exc


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _matched(method: MatchMethod, ranked: list[Customer], what: str) -> MatchResult | MatchStep:
    best = ranked[0]
    if len(ranked) == 1:
        detail = f"customer {best.id} {what}"
    else:
        detail = f"{_plural(len(ranked), 'customer')} {what}; chose {best.id}: {why_first(ranked)}"
    step = MatchStep(method, StepOutcome.MATCHED, detail)
    return MatchResult(method, best, tuple(ranked[1:]), (step,))


def _recheck(
    method: MatchMethod,
    returned: Sequence[Customer],
    same: Callable[[Customer], bool],
    what: str,
) -> MatchResult | MatchStep:
    """Keep the candidates that really match (not deleted, `same`), best first."""
    unique = list({c.id: c for c in reversed(returned)}.values())  # first occurrence wins
    same_ones = [c for c in unique if same(c)]
    live = [c for c in same_ones if not c.deleted]
    if live:
        return _matched(method, rank_candidates(live), what)
    notes = []
    if deleted := len(same_ones) - len(live):
        notes.append(f"{_plural(deleted, 'deleted customer')} ignored")
    if others := len(unique) - len(same_ones):
        notes.append(f"{_plural(others, 'inexact candidate')} ignored")
    detail = f"no Stripe customer {what}" + (f" ({'; '.join(notes)})" if notes else "")
    return MatchStep(method, StepOutcome.NOT_FOUND, detail)


async def _by_customer_id(customer_id: str, lookup: CustomerLookup) -> MatchResult | MatchStep:
    customer = await _call(_ID, lookup.customer_by_id, customer_id)
    if customer is None:
        return MatchStep(_ID, StepOutcome.NOT_FOUND, f"no Stripe customer {customer_id}")
    if customer.deleted:
        return MatchStep(_ID, StepOutcome.DELETED, f"customer {customer_id} is deleted")
    return _matched(_ID, [customer], f"has the id in customData.{CUSTOMER_ID_KEY}")


async def _by_email(email: ParsedEmail, lookup: CustomerLookup) -> MatchResult | MatchStep:
    returned = await _call(_EMAIL, lookup.customers_by_email, email.address)

    def same(c: Customer) -> bool:
        return c.email is not None and email_key(c.email) == email.normalized

    return _recheck(_EMAIL, returned, same, f"with email {email.address}")


async def _by_domain(
    email: ParsedEmail, lookup: CustomerLookup, settings: MatchSettings
) -> MatchResult | MatchStep:
    if not settings.search_enabled:
        return MatchStep(_DOMAIN, StepOutcome.UNAVAILABLE, SEARCH_UNAVAILABLE)
    if email.domain in settings.public_domains:
        detail = f"{email.domain} is a public email provider"
        return MatchStep(_DOMAIN, StepOutcome.SKIPPED_PUBLIC_DOMAIN, detail)
    returned = await _call(_DOMAIN, lookup.customers_by_domain, email.domain)

    def same(c: Customer) -> bool:
        return email_domain(c.email) == email.domain

    return _recheck(_DOMAIN, returned, same, f"with an email at {email.domain}")


def _not_attempted(method: MatchMethod, email: InvalidValue | None) -> MatchStep:
    if isinstance(email, InvalidValue):
        return MatchStep(method, StepOutcome.SKIPPED_INVALID, email.reason)
    return MatchStep(method, StepOutcome.SKIPPED_NO_VALUE, "the contact has no email")


async def match_contact(
    *,
    email: str | None,
    custom_data: Mapping[str, Any] | None,
    lookup: CustomerLookup,
    settings: MatchSettings,
) -> MatchResult:
    """Apply the matching rule to one contact (see the module docstring)."""
    trail: list[MatchStep] = []

    def done(outcome: MatchResult | None = None, error: StripeFailure | None = None) -> MatchResult:
        if outcome is None:
            return MatchResult(MatchMethod.NONE, None, (), tuple(trail), error=error)
        return MatchResult(
            outcome.method, outcome.customer, outcome.alternatives, (*trail, *outcome.trail)
        )

    try:
        # 1. CUSTOMER_ID
        customer_id = customer_id_from(custom_data)
        if customer_id is None:
            detail = f"customData has no {CUSTOMER_ID_KEY}"
            trail.append(MatchStep(_ID, StepOutcome.SKIPPED_NO_VALUE, detail))
        elif isinstance(customer_id, InvalidValue):
            trail.append(MatchStep(_ID, StepOutcome.SKIPPED_INVALID, customer_id.reason))
        else:
            step = await _by_customer_id(customer_id, lookup)
            if isinstance(step, MatchResult):
                return done(step)
            trail.append(step)

        # 2. EMAIL and 3. DOMAIN both need a valid email.
        parsed = read_email(email)
        if not isinstance(parsed, ParsedEmail):
            trail += [_not_attempted(_EMAIL, parsed), _not_attempted(_DOMAIN, parsed)]
            return done()

        step = await _by_email(parsed, lookup)
        if isinstance(step, MatchResult):
            return done(step)
        trail.append(step)

        step = await _by_domain(parsed, lookup, settings)
        if isinstance(step, MatchResult):
            return done(step)
        trail.append(step)
    except _Failed as failed:
        trail.append(MatchStep(failed.method, StepOutcome.UNAVAILABLE, failed.error.message))
        return done(error=failed.error)

    # 4. NONE
    return done()
