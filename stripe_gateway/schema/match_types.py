"""GraphQL types for a contact's Stripe match: which step found whom, and why."""

from __future__ import annotations

from typing import Self

import strawberry

from stripe_gateway import records
from stripe_gateway.matching import MatchMethod, MatchResult, StepOutcome
from stripe_gateway.schema.stripe_types import StripeCustomer

# Registers the matching package's enums under their GraphQL names.
strawberry.enum(
    MatchMethod,
    name="StripeMatchMethod",
    description="How a contact's Stripe customer was found: by id, email, domain, or not.",
)
strawberry.enum(StepOutcome, name="MatchStepOutcome")


@strawberry.type(description="One step of the matching rule and what it found.")
class MatchStep:
    method: MatchMethod
    outcome: StepOutcome
    detail: str | None


@strawberry.type(description="The Stripe customer a contact pays as, and how it was found.")
class StripeMatch:
    result: strawberry.Private[MatchResult]
    method: MatchMethod
    trail: list[MatchStep]

    def matched(self) -> records.Customer | None:
        """The matched customer's record; raises the Stripe error when matching failed."""
        if self.result.error is not None:
            raise self.result.error
        return self.result.customer

    @strawberry.field(description="Null when nothing matched; an error when Stripe failed.")
    def customer(self) -> StripeCustomer | None:
        found = self.matched()
        return StripeCustomer.of(found) if found else None

    @strawberry.field(description="Other customers the winning step found, in order of preference.")
    def alternatives(self) -> list[StripeCustomer]:
        return [StripeCustomer.of(c) for c in self.result.alternatives]

    @classmethod
    def of(cls, result: MatchResult) -> Self:
        return cls(
            result=result,
            method=result.method,
            trail=[
                MatchStep(method=s.method, outcome=s.outcome, detail=s.detail) for s in result.trail
            ],
        )
