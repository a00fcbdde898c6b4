"""The matching rule's vocabulary: methods, step outcomes, the result, and the lookup seam.

Nothing here does I/O. The Stripe layer implements `CustomerLookup`; the GraphQL schema
turns a `MatchResult` into `StripeMatch`. Enum values equal their names, so they map 1:1
onto the GraphQL enums `StripeMatchMethod` and `MatchStepOutcome`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from stripe_gateway.errors import StripeFailure
from stripe_gateway.matching.public_domains import PublicDomains
from stripe_gateway.records import Customer


class MatchMethod(enum.Enum):
    """Which step found the customer (NONE: no step did, or a lookup failed)."""

    CUSTOMER_ID = "CUSTOMER_ID"
    EMAIL = "EMAIL"
    DOMAIN = "DOMAIN"
    NONE = "NONE"


class StepOutcome(enum.Enum):
    """What happened at one step of the rule."""

    MATCHED = "MATCHED"
    NOT_FOUND = "NOT_FOUND"
    DELETED = "DELETED"
    SKIPPED_NO_VALUE = "SKIPPED_NO_VALUE"
    SKIPPED_PUBLIC_DOMAIN = "SKIPPED_PUBLIC_DOMAIN"
    SKIPPED_INVALID = "SKIPPED_INVALID"
    UNAVAILABLE = "UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class MatchStep:
    """One attempted step: its method, its outcome, and a human-readable reason."""

    method: MatchMethod
    outcome: StepOutcome
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The outcome of the rule for one contact."""

    method: MatchMethod
    """NONE when nothing matched or a step failed."""
    customer: Customer | None
    alternatives: tuple[Customer, ...]
    """The other candidates of the winning step, best first."""
    trail: tuple[MatchStep, ...]
    """One entry per step attempted, in order."""
    error: StripeFailure | None = None
    """Set when a lookup failed; matching stopped at that step (its trail entry is UNAVAILABLE)."""

    @property
    def matched(self) -> bool:
        return self.customer is not None


class CustomerLookup(Protocol):
    """What matching needs from Stripe. Each method may raise `StripeFailure`."""

    async def customer_by_id(self, customer_id: str) -> Customer | None:
        """The customer, or None for 404 `resource_missing`.

        A deleted customer comes back with `deleted=True`.
        """
        ...

    async def customers_by_email(self, email: str) -> Sequence[Customer]:
        """Candidates for an exact email. May hold false positives and deleted customers:
        matching re-checks each one."""
        ...

    async def customers_by_domain(self, domain: str) -> Sequence[Customer]:
        """Candidates whose email is at `domain`. Matching re-checks exact domain equality."""
        ...


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """The settings the rule depends on."""

    public_domains: PublicDomains
    search_enabled: bool = True
    """False for Stripe accounts without Search: the DOMAIN step is then UNAVAILABLE."""
