"""GraphQL types for Stripe objects, built from the records of `stripe_gateway.records`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Self

import strawberry
from strawberry.scalars import JSON

from stripe_gateway import records
from stripe_gateway.resolvers import stripe as resolve
from stripe_gateway.resolvers.context import Info
from stripe_gateway.schema.money import Money
from stripe_gateway.schema.pagination import PageInfo

DASHBOARD = "https://dashboard.stripe.com"


def timestamp(seconds: int | None) -> datetime | None:
    """Stripe's Unix seconds as an aware UTC datetime."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def dashboard_url(livemode: bool, path: str) -> str:
    """A link into Stripe's dashboard; test-mode objects live under /test/."""
    return f"{DASHBOARD}{'' if livemode else '/test'}/{path}"


@strawberry.type
class Address:
    line1: str | None
    line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None

    @classmethod
    def of(cls, a: records.Address | None) -> Address | None:
        return None if a is None else cls(**asdict(a))


@strawberry.type(description="How a charge was paid: card brand and last four digits, or a type.")
class PaymentMethodSummary:
    type: str
    brand: str | None
    last4: str | None
    exp_month: int | None
    exp_year: int | None
    wallet: str | None


@strawberry.type
class Charge:
    id: strawberry.ID
    amount: Money
    amount_refunded: Money
    status: str
    paid: bool
    refunded: bool
    disputed: bool
    description: str | None
    created: datetime
    failure_message: str | None
    receipt_url: str | None
    payment_method: PaymentMethodSummary | None
    dashboard_url: str

    @classmethod
    def of(cls, c: records.Charge) -> Charge:
        pm = c.payment_method
        return cls(
            id=strawberry.ID(c.id),
            amount=Money.of(c.amount, c.currency),
            amount_refunded=Money.of(c.amount_refunded, c.currency),
            status=c.status,
            paid=c.paid,
            refunded=c.refunded,
            disputed=c.disputed,
            description=c.description,
            created=datetime.fromtimestamp(c.created, UTC),
            failure_message=c.failure_message,
            receipt_url=c.receipt_url,
            payment_method=PaymentMethodSummary(**asdict(pm)) if pm else None,
            dashboard_url=dashboard_url(c.livemode, f"payments/{c.id}"),
        )


@strawberry.type
class ChargeEdge:
    cursor: str
    node: Charge


@strawberry.type
class ChargeConnection:
    edges: list[ChargeEdge]
    page_info: PageInfo


@strawberry.type
class Price:
    id: strawberry.ID
    nickname: str | None
    unit_amount: Money | None
    recurring_interval: str | None
    product_id: str

    @strawberry.field
    async def product_name(self, info: Info) -> str | None:
        found = await resolve.product(info.context, self.product_id)
        return found.name if found else None

    @classmethod
    def of(cls, p: records.Price) -> Price:
        return cls(
            id=strawberry.ID(p.id),
            nickname=p.nickname,
            unit_amount=Money.of(p.unit_amount, p.currency) if p.unit_amount is not None else None,
            recurring_interval=p.recurring_interval,
            product_id=p.product_id,
        )


@strawberry.type
class SubscriptionItem:
    id: strawberry.ID
    quantity: int | None
    price: Price
    current_period_end: datetime | None


@strawberry.type
class Subscription:
    id: strawberry.ID
    status: str
    created: datetime
    cancel_at_period_end: bool
    cancel_at: datetime | None
    canceled_at: datetime | None
    ended_at: datetime | None
    trial_end: datetime | None
    current_period_end: datetime | None
    items: list[SubscriptionItem]
    dashboard_url: str

    @classmethod
    def of(cls, s: records.Subscription) -> Subscription:
        return cls(
            id=strawberry.ID(s.id),
            status=s.status,
            created=datetime.fromtimestamp(s.created, UTC),
            cancel_at_period_end=s.cancel_at_period_end,
            cancel_at=timestamp(s.cancel_at),
            canceled_at=timestamp(s.canceled_at),
            ended_at=timestamp(s.ended_at),
            trial_end=timestamp(s.trial_end),
            current_period_end=timestamp(s.current_period_end),
            items=[
                SubscriptionItem(
                    id=strawberry.ID(i.id),
                    quantity=i.quantity,
                    price=Price.of(i.price),
                    current_period_end=timestamp(i.current_period_end),
                )
                for i in s.items
            ],
            dashboard_url=dashboard_url(s.livemode, f"subscriptions/{s.id}"),
        )


@strawberry.type
class StripeCustomer:
    record: strawberry.Private[records.Customer]
    id: strawberry.ID
    name: str | None
    email: str | None
    phone: str | None
    description: str | None
    created: datetime
    currency: str | None
    balance: Money = strawberry.field(
        description="Positive: the customer owes this; negative: credit to apply to invoices."
    )
    delinquent: bool | None
    metadata: JSON
    address: Address | None
    livemode: bool
    dashboard_url: str

    @classmethod
    def of(cls, c: records.Customer) -> Self:
        return cls(
            record=c,
            id=strawberry.ID(c.id),
            name=c.name,
            email=c.email,
            phone=c.phone,
            description=c.description,
            created=datetime.fromtimestamp(c.created, UTC),
            currency=c.currency,
            balance=Money.of(c.balance, c.currency or "usd"),
            delinquent=c.delinquent,
            metadata=JSON(dict(c.metadata)),
            address=Address.of(c.address),
            livemode=c.livemode,
            dashboard_url=dashboard_url(c.livemode, f"customers/{c.id}"),
        )

    @strawberry.field(description="The customer's charges, newest first (`first` up to 100).")
    async def charges(
        self, info: Info, first: int = 10, after: str | None = None
    ) -> ChargeConnection:
        page = await resolve.charges(info.context, self.record.id, first, after)
        edges = [ChargeEdge(cursor=c.id, node=Charge.of(c)) for c in page.charges]
        return ChargeConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_more,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @strawberry.field(description="Current subscriptions; canceled ones too with includeEnded.")
    async def subscriptions(self, info: Info, include_ended: bool = False) -> list[Subscription]:
        found = await resolve.subscriptions(info.context, self.record, include_ended)
        return [Subscription.of(s) for s in found]
