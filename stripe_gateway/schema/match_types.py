"""GraphQL types for a contact's Stripe match: which step found whom, and why."""

from __future__ import annotations

import strawberry

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
    alternatives: list[StripeCustomer] = strawberry.field(
        description="Other customers the winning step found, in order of preference."
    )
    trail: list[MatchStep]

    @strawberry.field(description="Null when nothing matched; an error when Stripe failed.")
    def customer(self) -> StripeCustomer | None:
        if self.result.error is not None:
            raise self.result.error
        return StripeCustomer.of(self.result.customer) if self.result.customer else None

    @classmethod
    def of(cls, result: MatchResult) -> StripeMatch:
        return cls(
            result=result,
            method=result.method,
            alternatives=[StripeCustomer.of(c) for c in result.alternatives],
            trail=[
                MatchStep(method=s.method, outcome=s.outcome, detail=s.detail) for s in result.trail
            ],
        )
