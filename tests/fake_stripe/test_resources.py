"""Charges, subscriptions, products and prices: list filters, retrieve, pagination."""

from __future__ import annotations

import httpx
import pytest

from tests.fake_stripe.conftest import error_of


async def ids(client: httpx.AsyncClient, path: str, **params: str | int) -> list[str]:
    response = await client.get(path, params=params or None)
    assert response.status_code == 200, response.text
    return [obj["id"] for obj in response.json()["data"]]


async def test_charges_by_customer_newest_first(client: httpx.AsyncClient) -> None:
    assert await ids(client, "/v1/charges", customer="cus_ada") == [
        "ch_ada_refunded",
        "ch_ada_failed",
        "ch_ada_ok",
    ]
    assert await ids(client, "/v1/charges", customer="cus_nobody") == []


async def test_charges_page_with_starting_after(client: httpx.AsyncClient) -> None:
    first = (await client.get("/v1/charges", params={"customer": "cus_bulk00", "limit": 2})).json()
    assert [c["id"] for c in first["data"]] == ["ch_bulk04", "ch_bulk03"]
    assert first["has_more"] is True and first["url"] == "/v1/charges"
    rest = await ids(
        client, "/v1/charges", customer="cus_bulk00", limit=10, starting_after="ch_bulk03"
    )
    assert rest == ["ch_bulk02", "ch_bulk01", "ch_bulk00"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, {"active", "trialing", "past_due", "incomplete_expired", "unpaid"}),
        ("all", {"active", "trialing", "past_due", "canceled", "incomplete_expired", "unpaid"}),
        ("canceled", {"canceled"}),
        ("ended", {"canceled", "incomplete_expired"}),
        ("trialing", {"trialing"}),
    ],
)
async def test_subscription_status_filter(
    client: httpx.AsyncClient, status: str | None, expected: set[str]
) -> None:
    params = {"customer": "cus_ada", **({"status": status} if status else {})}
    page = (await client.get("/v1/subscriptions", params=params)).json()
    assert {s["status"] for s in page["data"]} == expected


async def test_subscription_status_must_be_known(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/subscriptions", params={"status": "happy"})
    assert response.status_code == 400 and error_of(response)["param"] == "status"


async def test_subscriptions_by_price(client: httpx.AsyncClient) -> None:
    assert await ids(client, "/v1/subscriptions", price="price_yen") == ["sub_jpy"]


async def test_products_by_ids_in_both_array_encodings(client: httpx.AsyncClient) -> None:
    bracket = await ids(client, "/v1/products?ids[]=prod_pro&ids[]=prod_old&ids[]=prod_none")
    indexed = await ids(client, "/v1/products?ids[0]=prod_pro&ids[1]=prod_old")
    assert bracket == indexed == ["prod_old", "prod_pro"]


async def test_products_active_filter_and_paging(client: httpx.AsyncClient) -> None:
    assert "prod_old" not in await ids(client, "/v1/products", active="true", limit=100)
    first = await ids(client, "/v1/products", limit=1)
    second = await ids(client, "/v1/products", limit=1, starting_after=first[0])
    assert first != second


async def test_unknown_product_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/products/prod_nope")
    assert response.status_code == 404
    error = error_of(response)
    assert error["message"] == "No such product: 'prod_nope'"
    assert error["code"] == "resource_missing"


async def test_prices_by_product(client: httpx.AsyncClient) -> None:
    assert await ids(client, "/v1/prices", product="prod_basic") == ["price_once"]
    once = (await client.get("/v1/prices/price_once")).json()
    assert once["type"] == "one_time" and once["recurring"] is None


async def test_expand_price_product_on_a_price(client: httpx.AsyncClient) -> None:
    price = (await client.get("/v1/prices/price_pro?expand[]=product")).json()
    assert price["product"]["id"] == "prod_pro"


async def test_expand_customer_on_charges(client: httpx.AsyncClient) -> None:
    page = (
        await client.get("/v1/charges", params={"customer": "cus_jpy", "expand[]": "data.customer"})
    ).json()
    assert page["data"][0]["customer"]["email"] == "kenji@sakura.example"
