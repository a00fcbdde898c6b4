"""Customers, charges, subscriptions and products over GraphQL, against the fake Stripe."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import FakeStripe, Gateway

CUSTOMER = """
query($id: ID!) { stripeCustomer(id: $id) {
  id name email phone description created currency delinquent metadata livemode dashboardUrl
  balance { amount currency formatted }
  address { line1 city postalCode country }
} }
"""


def customer(gateway: Gateway, customer_id: str, fields: str) -> dict[str, Any]:
    data = gateway.query(
        f"query($id: ID!) {{ stripeCustomer(id: $id) {{ {fields} }} }}", {"id": customer_id}
    )
    return data["stripeCustomer"]  # type: ignore[no-any-return]


def test_customer_fields_come_from_stripe(gateway: Gateway, fresh: FakeStripe) -> None:
    found = gateway.query(CUSTOMER, {"id": "cus_alpha"})["stripeCustomer"]
    assert found["id"] == "cus_alpha"
    assert found["email"] == "alpha@alpha.example"
    assert found["metadata"] == {"tier": "gold"}
    assert found["balance"] == {"amount": -2500, "currency": "usd", "formatted": "-$25.00"}
    assert found["address"] == {
        "line1": "1 Main St",
        "city": "Springfield",
        "postalCode": "12345",
        "country": "US",
    }
    assert found["created"] == "2023-11-14T22:13:20+00:00"
    assert found["livemode"] is False
    assert found["dashboardUrl"] == "https://dashboard.stripe.com/test/customers/cus_alpha"


def test_unknown_and_deleted_customers_are_null(gateway: Gateway, fresh: FakeStripe) -> None:
    assert customer(gateway, "cus_nope", "id") is None
    assert customer(gateway, "cus_gone", "id") is None


def test_invalid_customer_id_is_bad_user_input_without_stripe_request(
    gateway: Gateway, fresh: FakeStripe
) -> None:
    response = gateway.post('{ stripeCustomer(id: "../v1/charges") { id } }')
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert fresh.requests() == []


def test_charges_are_newest_first_and_paginate(gateway: Gateway, fresh: FakeStripe) -> None:
    page = customer(
        gateway,
        "cus_alpha",
        "charges(first: 2) { edges { cursor node { id status paid refunded amount { formatted }"
        " amountRefunded { amount } failureMessage dashboardUrl paymentMethod { type brand last4 } } }"
        " pageInfo { hasNextPage endCursor } }",
    )["charges"]
    nodes = [e["node"] for e in page["edges"]]
    assert [n["id"] for n in nodes] == ["ch_alpha_3", "ch_alpha_2"]
    assert nodes[0]["status"] == "failed"
    assert nodes[0]["failureMessage"] == "Your card was declined."
    assert nodes[0]["amount"]["formatted"] == "$9.90"
    assert nodes[1]["refunded"] is True
    assert nodes[1]["amountRefunded"]["amount"] == 1500
    assert nodes[0]["paymentMethod"] == {"type": "card", "brand": "visa", "last4": "4242"}
    assert nodes[0]["dashboardUrl"] == "https://dashboard.stripe.com/test/payments/ch_alpha_3"
    assert page["pageInfo"] == {"hasNextPage": True, "endCursor": "ch_alpha_2"}
    rest = customer(
        gateway,
        "cus_alpha",
        'charges(first: 2, after: "ch_alpha_2") { edges { node { id } } pageInfo { hasNextPage } }',
    )["charges"]
    assert [e["node"]["id"] for e in rest["edges"]] == ["ch_alpha_1"]
    assert rest["pageInfo"]["hasNextPage"] is False


def test_charges_page_size_is_bounded(gateway: Gateway, fresh: FakeStripe) -> None:
    response = gateway.post(
        '{ stripeCustomer(id: "cus_alpha") { charges(first: 101) { edges { cursor } } } }'
    )
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_zero_decimal_currency_formats_without_minor_units(
    gateway: Gateway, fresh: FakeStripe
) -> None:
    found = customer(
        gateway,
        "cus_yen",
        "charges(first: 1) { edges { node { amount { amount currency formatted } } } }",
    )
    assert found["charges"]["edges"][0]["node"]["amount"] == {
        "amount": 1500,
        "currency": "jpy",
        "formatted": "¥1,500",
    }


def test_crowded_out_customer_still_gets_its_newest_charges(
    gateway: Gateway, fresh: FakeStripe
) -> None:
    data = gateway.query(
        '{ busy: stripeCustomer(id: "cus_busy") { charges(first: 5) { edges { node { id } }'
        " pageInfo { hasNextPage } } }"
        ' quiet: stripeCustomer(id: "cus_quiet") { charges(first: 5) { edges { node { id } }'
        " pageInfo { hasNextPage } } } }"
    )
    busy = [e["node"]["id"] for e in data["busy"]["charges"]["edges"]]
    quiet = [e["node"]["id"] for e in data["quiet"]["charges"]["edges"]]
    assert busy == ["ch_busy_119", "ch_busy_118", "ch_busy_117", "ch_busy_116", "ch_busy_115"]
    assert data["busy"]["charges"]["pageInfo"]["hasNextPage"] is True
    assert quiet == ["ch_quiet_2", "ch_quiet_1", "ch_quiet_0"]
    assert data["quiet"]["charges"]["pageInfo"]["hasNextPage"] is False
    # One charge search for both, then the list endpoint only for the crowded-out customer.
    charge_calls = [
        (r["path"], r["query"].get("customer")) for r in fresh.requests() if "charges" in r["path"]
    ]
    assert charge_calls == [("/v1/charges/search", None), ("/v1/charges", ["cus_quiet"])]


def test_subscriptions_current_and_ended(gateway: Gateway, fresh: FakeStripe) -> None:
    fields = (
        "subscriptions{} {{ id status cancelAtPeriodEnd currentPeriodEnd dashboardUrl"
        " items {{ quantity price {{ id nickname productId productName recurringInterval"
        " unitAmount {{ formatted }} }} }} }}"
    )
    current = customer(gateway, "cus_alpha", fields.format(""))["subscriptions"]
    assert [s["id"] for s in current] == ["sub_alpha"]
    assert current[0]["items"][0]["price"] == {
        "id": "price_basic",
        "nickname": "Basic monthly",
        "productId": "prod_basic",
        "productName": "Basic plan",
        "recurringInterval": "month",
        "unitAmount": {"formatted": "$15.00"},
    }
    assert current[0]["currentPeriodEnd"] == "2023-12-14T22:13:20+00:00"
    assert current[0]["dashboardUrl"] == "https://dashboard.stripe.com/test/subscriptions/sub_alpha"
    every = customer(gateway, "cus_alpha", fields.format("(includeEnded: true)"))["subscriptions"]
    assert [(s["id"], s["status"]) for s in every] == [
        ("sub_alpha", "active"),
        ("sub_alpha_old", "canceled"),
    ]


def test_products_load_in_one_batch(gateway: Gateway, fresh: FakeStripe) -> None:
    data = gateway.query(
        '{ a: stripeCustomer(id: "cus_alpha") { subscriptions {'
        " items { price { productName } } } }"
        ' b: stripeCustomer(id: "cus_dup_live") { subscriptions { items { price { productName } } } } }'
    )
    names = [
        i["price"]["productName"]
        for customer in (data["a"], data["b"])
        for s in customer["subscriptions"]
        for i in s["items"]
    ]
    assert names == ["Basic plan", "Pro plan"]
    product_calls = [r for r in fresh.requests() if r["path"].startswith("/v1/products")]
    assert len(product_calls) == 1
    ids = sorted(
        v for k, vs in product_calls[0]["query"].items() if k.startswith("ids") for v in vs
    )
    assert ids == ["prod_basic", "prod_pro"]


def test_customers_by_id_load_concurrently_in_one_wave(gateway: Gateway, fresh: FakeStripe) -> None:
    gateway.query(
        '{ a: stripeCustomer(id: "cus_alpha") { id } b: stripeCustomer(id: "cus_bravo") { id }'
        ' c: stripeCustomer(id: "cus_alpha") { id } }'
    )
    assert sorted(fresh.paths()) == ["/v1/customers/cus_alpha", "/v1/customers/cus_bravo"]
