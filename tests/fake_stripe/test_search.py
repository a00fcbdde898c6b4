"""Customer and charge search: the query language, pagination, envelopes, lag."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from fake_stripe.errors import StripeError
from fake_stripe.search_query import parse
from tests.fake_stripe.conftest import Fake, error_of


def quote(value: str) -> str:
    """A value quoted for a search query the way a careful client does it."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def search_ids(client: httpx.AsyncClient, query: str, **params: str) -> list[str]:
    response = await client.get("/v1/customers/search", params={"query": query, **params})
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["data"]]


async def search_error(client: httpx.AsyncClient, query: str) -> dict[str, object]:
    response = await client.get("/v1/customers/search", params={"query": query})
    assert response.status_code == 400, response.text
    return error_of(response)


async def test_envelope_is_stripes_search_result(client: httpx.AsyncClient) -> None:
    body = (
        await client.get("/v1/customers/search", params={"query": 'email:"x@y.example"'})
    ).json()
    assert body == {
        "object": "search_result",
        "data": [],
        "has_more": False,
        "next_page": None,
        "url": "/v1/customers/search",
    }


async def test_exact_match_is_case_insensitive(client: httpx.AsyncClient) -> None:
    ids = await search_ids(client, 'email:"ADA@lovelace.EXAMPLE"')
    assert ids == ["cus_ada", "cus_ada_lower"]


async def test_exact_match_is_the_whole_value(client: httpx.AsyncClient) -> None:
    assert await search_ids(client, 'email:"lovelace.example"') == []
    assert await search_ids(client, 'name:"ada lovelace"') == ["cus_ada"]


async def test_single_quotes_work(client: httpx.AsyncClient) -> None:
    assert await search_ids(client, "phone:'+15550001'") == ["cus_ada"]


async def test_substring_match(client: httpx.AsyncClient) -> None:
    assert await search_ids(client, 'email~"LOVELACE"') == ["cus_ada", "cus_ada_lower"]


async def test_substring_needs_three_characters(client: httpx.AsyncClient) -> None:
    error = await search_error(client, 'email~"ad"')
    assert error["type"] == "invalid_request_error"
    assert "at least 3 characters" in str(error["message"])


async def test_or_and_and(client: httpx.AsyncClient) -> None:
    either = await search_ids(client, 'email:"o\'brien@acme.com" OR email:"user3@bulk.example"')
    assert either == ["cus_obrien", "cus_bulk03"]
    both = await search_ids(client, 'email~"lovelace" AND name:"Ada Lovelace"')
    assert both == ["cus_ada"]
    spaced = await search_ids(client, 'email~"lovelace"   name:"Ada Lovelace"')
    assert spaced == ["cus_ada"]
    lower_keyword = await search_ids(
        client, 'email:"user1@bulk.example" or email:"user2@bulk.example"'
    )
    assert lower_keyword == ["cus_bulk02", "cus_bulk01"]


async def test_mixing_and_with_or_is_400(client: httpx.AsyncClient) -> None:
    error = await search_error(client, 'email:"a@b.c" AND name:"x" OR name:"y"')
    assert "AND and OR" in str(error["message"])
    await search_error(client, 'email:"a@b.c" name:"x" OR name:"y"')


async def test_at_most_ten_clauses(client: httpx.AsyncClient) -> None:
    ten = " OR ".join(f'email:"user{i}@bulk.example"' for i in range(10))
    assert len(await search_ids(client, ten, limit="100")) == 10
    error = await search_error(client, ten + ' OR email:"user10@bulk.example"')
    assert "at most 10 clauses" in str(error["message"])


async def test_backslash_escapes(client: httpx.AsyncClient) -> None:
    assert await search_ids(client, 'email:"weird\\"quote@acme.com"') == ["cus_quote"]
    assert await search_ids(client, "email:'o\\'brien@acme.com'") == ["cus_obrien"]
    assert await search_ids(client, "email:" + quote("back\\slash@acme.com")) == ["cus_back"]


async def test_apostrophe_in_double_quotes(client: httpx.AsyncClient) -> None:
    assert await search_ids(client, "email:" + quote("o'brien@acme.com")) == ["cus_obrien"]


async def test_injection_inside_an_escaped_value_matches_nothing(
    client: httpx.AsyncClient,
) -> None:
    assert await search_ids(client, "email:" + quote("x' OR email~'a")) == []
    assert await search_ids(client, "email:" + quote('x" OR email~"a')) == []


async def test_metadata_clause(client: httpx.AsyncClient) -> None:
    assert await search_ids(client, 'metadata["tier"]:"gold"') == ["cus_ada"]
    assert await search_ids(client, "metadata['tier']:'silver'") == []


async def test_negation(client: httpx.AsyncClient) -> None:
    ids = await search_ids(client, '-email~"bulk" -email~"acme"', limit="100")
    assert ids == ["cus_ada", "cus_ada_lower", "cus_many_subs", "cus_jpy"]


async def test_created_comparison(client: httpx.AsyncClient) -> None:
    assert await search_ids(client, "created>1750000070") == [
        "cus_ada",
        "cus_ada_lower",
        "cus_obrien",
    ]


@pytest.mark.parametrize(
    "query",
    [
        'id:"cus_ada"',  # not a customer search field
        "email:ada@lovelace.example",  # unquoted string
        'email:"unterminated',
        "   ",
        "",
        'email:"a"OR email:"b"',
        'email:"a" OR',
        "(email:'a')",
        "email",
        "x" * 5001,
    ],
)
async def test_malformed_queries_are_400(client: httpx.AsyncClient, query: str) -> None:
    error = await search_error(client, query)
    assert error["type"] == "invalid_request_error"
    assert str(error["message"]).startswith(("We were unable to parse", "Field `"))


async def test_unknown_field_names_the_field(client: httpx.AsyncClient) -> None:
    error = await search_error(client, 'id:"cus_ada"')
    assert str(error["message"]).startswith(
        "Field `id` is an unsupported search field for resource `customers`."
    )


async def test_missing_query_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/customers/search")
    assert response.status_code == 400
    error = error_of(response)
    assert error["message"] == "Missing required param: query." and error["param"] == "query"


async def test_deleted_customers_never_appear(fake: Fake, client: httpx.AsyncClient) -> None:
    fake.store.upsert({"object": "customer", "id": "cus_ada_lower", "deleted": True})
    assert await search_ids(client, 'email:"ada@lovelace.example"') == ["cus_ada"]


async def test_pages_follow_next_page(client: httpx.AsyncClient) -> None:
    query = 'email~"bulk.example"'
    seen: list[str] = []
    params = {"query": query, "limit": "4"}
    pages = 0
    while True:
        body = (await client.get("/v1/customers/search", params=params)).json()
        pages += 1
        seen += [c["id"] for c in body["data"]]
        if not body["has_more"]:
            assert body["next_page"] is None
            break
        params["page"] = body["next_page"]
    assert pages == 4
    assert seen == [f"cus_bulk{i:02d}" for i in reversed(range(15))]


async def test_page_token_of_another_query_is_400(client: httpx.AsyncClient) -> None:
    first = (
        await client.get("/v1/customers/search", params={"query": 'email~"bulk"', "limit": 1})
    ).json()
    response = await client.get(
        "/v1/customers/search", params={"query": 'email~"acme"', "page": first["next_page"]}
    )
    assert response.status_code == 400 and error_of(response)["param"] == "page"


async def test_limit_and_total_count(client: httpx.AsyncClient) -> None:
    body = (
        await client.get(
            "/v1/customers/search",
            params={"query": 'email~"bulk"', "limit": 2, "expand[]": "total_count"},
        )
    ).json()
    assert len(body["data"]) == 2 and body["total_count"] == 15
    too_many = await client.get("/v1/customers/search", params={"query": 'email~"x"', "limit": 101})
    assert too_many.status_code == 400


async def test_search_expands_data_subscriptions(client: httpx.AsyncClient) -> None:
    body = (
        await client.get(
            "/v1/customers/search",
            params={"query": 'email:"ada@lovelace.example"', "expand[0]": "data.subscriptions"},
        )
    ).json()
    by_id = {c["id"]: c for c in body["data"]}
    assert len(by_id["cus_ada"]["subscriptions"]["data"]) == 4
    assert by_id["cus_ada_lower"]["subscriptions"]["data"] == []


async def test_search_lag_hides_new_objects_from_search_only(
    fake: Fake, client: httpx.AsyncClient
) -> None:
    fake.app.state.config.search_lag_seconds = 0.3
    fake.store.upsert({"object": "customer", "id": "cus_new", "email": "new@fresh.example"})
    assert await search_ids(client, 'email:"new@fresh.example"') == []
    assert (await client.get("/v1/customers/cus_new")).status_code == 200
    listed = (await client.get("/v1/customers", params={"email": "new@fresh.example"})).json()
    assert [c["id"] for c in listed["data"]] == ["cus_new"]
    await asyncio.sleep(0.35)
    assert await search_ids(client, 'email:"new@fresh.example"') == ["cus_new"]


async def test_charge_search_by_customers_and_status(client: httpx.AsyncClient) -> None:
    async def charges(query: str) -> list[str]:
        response = await client.get("/v1/charges/search", params={"query": query})
        assert response.status_code == 200, response.text
        assert response.json()["url"] == "/v1/charges/search"
        return [c["id"] for c in response.json()["data"]]

    assert await charges('customer:"cus_ada" OR customer:"cus_jpy"') == [
        "ch_ada_refunded",
        "ch_ada_failed",
        "ch_ada_ok",
        "ch_jpy",
    ]
    assert await charges('customer:"cus_ada" AND status:"failed"') == ["ch_ada_failed"]
    assert await charges('amount>=1500 AND currency:"jpy"') == ["ch_jpy"]
    assert await charges("refunded:true") == ["ch_ada_refunded"]
    bad = await client.get("/v1/charges/search", params={"query": 'customer~"cus"'})
    assert bad.status_code == 400


def test_parser_reads_escapes_and_conjunctions() -> None:
    query = parse('-email:\'o\\\'b\' OR metadata["k"]:"v\\\\"')
    assert query.conjunction == "OR"
    first, second = query.clauses
    assert (first.field, first.value, first.negated) == ("email", "o'b", True)
    assert (second.field, second.key, second.value) == ("metadata", "k", "v\\")


def test_parser_rejects_mixed_conjunctions() -> None:
    with pytest.raises(StripeError):
        parse('a:"1" OR b:"2" AND c:"3"')
