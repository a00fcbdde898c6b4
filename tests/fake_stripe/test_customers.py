"""Customers: retrieve, list, expand, cursor pagination, Stripe's 404 and 400 bodies."""

from __future__ import annotations

import httpx

from tests.fake_stripe.conftest import error_of


async def test_retrieve_unknown_customer_is_404_resource_missing(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/customers/cus_nope")
    assert response.status_code == 404
    assert response.headers["request-id"].startswith("req_")
    assert error_of(response) == {
        "code": "resource_missing",
        "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
        "message": "No such customer: 'cus_nope'",
        "param": "id",
        "type": "invalid_request_error",
    }


async def test_expanded_subscriptions_are_the_current_ones_only(
    client: httpx.AsyncClient,
) -> None:
    customer = await client.get("/v1/customers/cus_ada", params={"expand[]": "subscriptions"})
    statuses = {s["status"] for s in customer.json()["subscriptions"]["data"]}
    assert statuses == {"active", "trialing", "past_due", "unpaid"}


async def test_expanded_subscriptions_stop_at_ten_with_has_more(
    client: httpx.AsyncClient,
) -> None:
    customer = (await client.get("/v1/customers/cus_many_subs?expand[0]=subscriptions")).json()
    assert len(customer["subscriptions"]["data"]) == 10
    assert customer["subscriptions"]["has_more"] is True
    created = [s["created"] for s in customer["subscriptions"]["data"]]
    assert created == sorted(created, reverse=True)


async def test_expanding_a_deleted_customer_keeps_the_stub(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/customers/cus_gone?expand[]=subscriptions")
    assert response.json() == {"id": "cus_gone", "object": "customer", "deleted": True}


async def test_expanding_an_unknown_property_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/customers/cus_ada?expand[]=email")
    assert response.status_code == 400
    assert error_of(response)["message"] == "This property cannot be expanded (email)."


async def test_list_email_is_exact_and_case_sensitive(client: httpx.AsyncClient) -> None:
    lower = (await client.get("/v1/customers", params={"email": "ada@lovelace.example"})).json()
    assert [c["id"] for c in lower["data"]] == ["cus_ada_lower"]
    upper = (await client.get("/v1/customers", params={"email": "Ada@Lovelace.example"})).json()
    assert [c["id"] for c in upper["data"]] == ["cus_ada"]
    none = (await client.get("/v1/customers", params={"email": "ADA@LOVELACE.EXAMPLE"})).json()
    assert none == {"object": "list", "data": [], "has_more": False, "url": "/v1/customers"}


async def test_list_is_newest_first_without_deleted_customers(client: httpx.AsyncClient) -> None:
    page = (await client.get("/v1/customers?limit=100")).json()
    ids = [c["id"] for c in page["data"]]
    assert "cus_gone" not in ids
    assert ids[0] == "cus_ada"
    created = [c["created"] for c in page["data"]]
    assert created == sorted(created, reverse=True)
    assert page["has_more"] is False


async def test_list_pages_with_starting_after_and_ending_before(
    client: httpx.AsyncClient,
) -> None:
    everything = [c["id"] for c in (await client.get("/v1/customers?limit=100")).json()["data"]]
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 7}
    while True:
        page = (await client.get("/v1/customers", params=params)).json()
        seen += [c["id"] for c in page["data"]]
        if not page["has_more"]:
            break
        params["starting_after"] = page["data"][-1]["id"]
    assert seen == everything
    before = (
        await client.get("/v1/customers", params={"limit": 3, "ending_before": everything[5]})
    ).json()
    assert [c["id"] for c in before["data"]] == everything[2:5]
    assert before["has_more"] is True


async def test_default_limit_is_ten(client: httpx.AsyncClient) -> None:
    page = (await client.get("/v1/customers")).json()
    assert len(page["data"]) == 10 and page["has_more"] is True


async def test_limit_out_of_range_is_400(client: httpx.AsyncClient) -> None:
    for limit, message in [
        ("0", "This value must be greater than or equal to 1."),
        ("101", "This value must be less than or equal to 100."),
        ("ten", "Invalid integer: ten"),
    ]:
        response = await client.get("/v1/customers", params={"limit": limit})
        assert response.status_code == 400
        error = error_of(response)
        assert error["message"] == message and error["param"] == "limit"
        assert error["type"] == "invalid_request_error"


async def test_unknown_cursor_is_400_resource_missing(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/customers", params={"starting_after": "cus_nope"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "resource_missing" and error["param"] == "starting_after"


async def test_list_expands_data_subscriptions(client: httpx.AsyncClient) -> None:
    page = (
        await client.get(
            "/v1/customers",
            params={"email": "Ada@Lovelace.example", "expand[]": "data.subscriptions"},
        )
    ).json()
    assert page["data"][0]["subscriptions"]["object"] == "list"
    bare = await client.get("/v1/customers", params={"expand[]": "subscriptions"})
    assert bare.status_code == 400


async def test_expand_reaches_into_nested_lists(client: httpx.AsyncClient) -> None:
    path = "subscriptions.data.items.data.price.product"
    customer = (await client.get("/v1/customers/cus_jpy", params={"expand[]": path})).json()
    product = customer["subscriptions"]["data"][0]["items"]["data"][0]["price"]["product"]
    assert product["object"] == "product" and product["name"] == "Tea club"
