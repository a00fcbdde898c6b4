"""Query limits, request limits and production mode, over real HTTP.

Every limit is tried just under (served) and just over (refused before execution with
BAD_USER_INPUT), at its default and, where a setting changes it, at another value.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.conftest import ERROR_CODES as CODES
from tests.integration.conftest import FakeStripe, Gateway, GatewayFactory


def headers(gateway: Gateway, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {gateway.token}", **extra}


def refused(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    """The first error of a response refused before execution (no data); every error of
    it is BAD_USER_INPUT."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body.get("data") is None
    assert body["errors"]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}
    return body["errors"][0]  # type: ignore[no-any-return]


def served(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    return body["data"]  # type: ignore[no-any-return]


def nested(path: list[str], leaf: str) -> str:
    """`{ a { b { leaf } } }` for path [a, b]."""
    query = leaf
    for field in reversed(path):
        query = f"{field} {{ {query} }}"
    return f"{{ {query} }}"


# contacts(1) edges(2) node(3) stripeMatch(4) customer(5) charges(6) edges(7) node(8)
# amount(9) formatted(10): the deepest real path of the schema is exactly the default limit.
DEPTH_10 = nested(
    [
        *("contacts(first: 1)", "edges", "node", "stripeMatch", "customer"),
        *("charges(first: 1)", "edges", "node", "amount"),
    ],
    "formatted",
)


@pytest.fixture(scope="module")
def small_limits(start_gateway: GatewayFactory) -> Iterator[Gateway]:
    with start_gateway(
        gateway_max_depth=5,
        gateway_max_aliases=2,
        gateway_max_tokens=50,
        gateway_max_operations=3,
        gateway_max_page_size=10,
        gateway_max_body_bytes=4096,
        contact_custom_data_max_bytes=1000,
    ) as running:
        yield running


@pytest.fixture(scope="module")
def production(start_gateway: GatewayFactory) -> Iterator[Gateway]:
    with start_gateway(gateway_env="production") as running:
        yield running


# Depth


def test_depth_at_the_default_limit_is_served(gateway: Gateway) -> None:
    served(gateway.post(DEPTH_10))


def test_depth_over_the_default_limit_is_refused_before_execution(
    gateway: Gateway, fresh: FakeStripe
) -> None:
    deeper = DEPTH_10.replace("formatted", "formatted { x }")
    error = refused(gateway.post(deeper))
    assert error["message"] == "query depth 11 exceeds the limit of 10"
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "limit": "depth", "maximum": 10}
    assert fresh.requests() == []


def test_depth_setting_just_under_and_over(small_limits: Gateway, fresh: FakeStripe) -> None:
    served(
        small_limits.post(nested(["contacts(first: 1)", "edges", "node", "stripeMatch"], "method"))
    )
    error = refused(
        small_limits.post(
            nested(["contacts(first: 1)", "edges", "node", "stripeMatch", "customer"], "id")
        )
    )
    assert error["extensions"]["limit"] == "depth"
    assert fresh.requests() == []


def test_depth_counts_through_fragments(small_limits: Gateway) -> None:
    query = (
        "{ contacts(first: 1) { ...E } } fragment E on ContactConnection { edges { ...N } }"
        " fragment N on ContactEdge { node { stripeMatch { customer { id } } } }"
    )
    assert refused(small_limits.post(query))["extensions"]["limit"] == "depth"


# Aliases


def aliased(count: int) -> str:
    return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"


def test_aliases_at_the_default_limit_are_served(gateway: Gateway) -> None:
    assert len(served(gateway.post(aliased(30)))) == 30


def test_aliases_over_the_default_limit_are_refused(gateway: Gateway) -> None:
    error = refused(gateway.post(aliased(31)))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "limit": "aliases", "maximum": 30}


def test_aliases_setting_just_under_and_over(small_limits: Gateway) -> None:
    served(small_limits.post(aliased(2)))
    assert refused(small_limits.post(aliased(3)))["extensions"]["limit"] == "aliases"


def test_fragment_bomb_is_refused_at_once(gateway: Gateway) -> None:
    """Forty fragments, each spreading the next twice: 2^40 aliases once expanded. Refused
    in well under a second (a per-spread walk would never finish)."""
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    query = f"{{ ...F0 }} {fragments} fragment F40 on Query {{ a: __typename }}"
    started = time.monotonic()
    error = refused(gateway.post(query))
    assert time.monotonic() - started < 1.0
    assert error["extensions"]["limit"] == "aliases"
    assert str(2**40) in error["message"]


# Tokens


def tokens(count: int) -> str:
    """A valid document of exactly `count` tokens (a list of numbers in a JSON argument;
    a contact without email or customer id, so it costs no Stripe request)."""
    numbers = " 1" * (count - 16)
    return f"{{ stripeMatch(contact: {{customData: [{numbers} ]}}) {{ method }} }}"


def test_tokens_at_the_default_limit_are_served(gateway: Gateway) -> None:
    assert served(gateway.post(tokens(2000))) == {"stripeMatch": {"method": "NONE"}}


def test_tokens_over_the_default_limit_are_refused(gateway: Gateway) -> None:
    error = refused(gateway.post(tokens(2001)))
    assert "more than 2000 tokens" in error["message"]


def test_tokens_setting_just_under_and_over(small_limits: Gateway) -> None:
    served(small_limits.post(tokens(50)))
    assert "more than 50 tokens" in refused(small_limits.post(tokens(51)))["message"]


# Operations per request (batching)


def batch(gateway: Gateway, count: int) -> httpx.Response:
    return httpx.post(
        f"{gateway.url}/graphql",
        json=[{"query": f"{{ n{i}: __typename }}"} for i in range(count)],
        headers=headers(gateway),
    )


def test_batching_is_off_by_default(gateway: Gateway) -> None:
    error = refused(batch(gateway, 2), status=400)
    assert error["message"] == "Batching is not enabled"


def test_operations_setting_just_under_and_over(small_limits: Gateway) -> None:
    response = batch(small_limits, 3)
    assert response.status_code == 200
    assert [list(r["data"]) for r in response.json()] == [["n0"], ["n1"], ["n2"]]
    assert refused(batch(small_limits, 4), status=400)["message"] == "Too many operations"


# Page sizes


CHARGES = 'query($n: Int!) { stripeCustomer(id: "cus_busy") { charges(first: $n) { edges { node { id } } } } }'
CONTACTS = "query($n: Int!) { contacts(first: $n) { edges { node { id } } } }"


def test_first_at_most_100(gateway: Gateway, fresh: FakeStripe) -> None:
    data = served(gateway.post(CHARGES, {"n": 100}))
    assert len(data["stripeCustomer"]["charges"]["edges"]) == 100
    served(gateway.post(CONTACTS, {"n": 100}))
    fresh.clear()
    over = gateway.post(CHARGES, {"n": 101}).json()
    assert over["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "between 1 and 100" in over["errors"][0]["message"]
    assert "/v1/charges" not in fresh.paths()
    over = gateway.post(CONTACTS, {"n": 101}).json()
    assert over["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_page_size_setting_just_under_and_over(small_limits: Gateway) -> None:
    served(small_limits.post(CHARGES, {"n": 10}))
    served(small_limits.post(CONTACTS, {"n": 10}))
    for query in (CHARGES, CONTACTS):
        [error] = small_limits.post(query, {"n": 11}).json()["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "10, not 11" in error["message"]


# Request body size


def padded(size: int) -> bytes:
    """A valid GraphQL request body of exactly `size` bytes (JSON padded with spaces)."""
    body = json.dumps({"query": "{ __typename }"}).encode()
    return body + b" " * (size - len(body))


def post_raw(gateway: Gateway, content: Any) -> httpx.Response:
    return httpx.post(
        f"{gateway.url}/graphql",
        content=content,
        headers=headers(gateway, **{"Content-Type": "application/json"}),
        timeout=30,
    )


def chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """A body streamed without Content-Length (chunked transfer encoding)."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_body_at_the_default_limit_is_served(gateway: Gateway) -> None:
    served(post_raw(gateway, padded(1024 * 1024)))
    served(post_raw(gateway, chunks(padded(1024 * 1024))))


def test_body_over_the_default_limit_is_413(gateway: Gateway) -> None:
    for content in (padded(1024 * 1024 + 1), chunks(padded(1024 * 1024 + 1))):
        error = refused(post_raw(gateway, content), status=413)
        assert error["extensions"] == {
            "code": "BAD_USER_INPUT",
            "limit": "bodyBytes",
            "maximum": 1048576,
        }


def test_declared_huge_body_is_refused_without_reading_it(gateway: Gateway) -> None:
    """A Content-Length of 1 GB is refused from the headers alone."""
    import socket

    host, port = gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {gateway.token}\r\n".encode()
            + b"Content-Length: 1000000000\r\n\r\n{"
        )
        answer = sock.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413"), answer


def test_body_setting_just_under_and_over(small_limits: Gateway) -> None:
    served(post_raw(small_limits, padded(4096)))
    refused(post_raw(small_limits, padded(4097)), status=413)
    refused(post_raw(small_limits, chunks(padded(4097), 1000)), status=413)


# customData size


IDENTIFY = "mutation($i: IdentifyContactInput!) { identifyContact(input: $i) { id } }"


def custom_data_of_size(size: int) -> dict[str, str]:
    """customData whose compact JSON is exactly `size` bytes: {"blob":"xx..."}."""
    return {"blob": "x" * (size - len('{"blob":""}'))}


def test_custom_data_at_the_default_limit_is_stored(gateway: Gateway) -> None:
    contact_id = f"c-{uuid.uuid4().hex[:12]}"
    data = {"id": contact_id, "customData": custom_data_of_size(32 * 1024)}
    served(gateway.post(IDENTIFY, {"i": data}))


def test_custom_data_over_the_default_limit_is_refused(gateway: Gateway) -> None:
    contact_id = f"c-{uuid.uuid4().hex[:12]}"
    data = {"id": contact_id, "customData": custom_data_of_size(32 * 1024 + 1)}
    body = gateway.post(IDENTIFY, {"i": data}).json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "32769 bytes" in error["message"] and "32768" in error["message"]
    assert gateway.query("query($id: ID!) { contact(id: $id) { id } }", {"id": contact_id}) == {
        "contact": None
    }


def test_custom_data_setting_just_under_and_over(small_limits: Gateway) -> None:
    served(
        small_limits.post(IDENTIFY, {"i": {"id": "cd-1", "customData": custom_data_of_size(1000)}})
    )
    body = small_limits.post(
        IDENTIFY, {"i": {"id": "cd-2", "customData": custom_data_of_size(1001)}}
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# Mutations never over GET


def test_mutation_over_get_is_405_and_does_nothing(gateway: Gateway) -> None:
    contact_id = f"c-{uuid.uuid4().hex[:12]}"
    mutation = f'mutation {{ identifyContact(input: {{id: "{contact_id}"}}) {{ id }} }}'
    response = httpx.get(
        f"{gateway.url}/graphql", params={"query": mutation}, headers=headers(gateway)
    )
    error = refused(response, status=405)
    assert response.headers["allow"] == "POST"
    assert "POST" in error["message"]
    assert gateway.query("query($id: ID!) { contact(id: $id) { id } }", {"id": contact_id}) == {
        "contact": None
    }


def test_query_over_get_is_served(gateway: Gateway) -> None:
    response = httpx.get(
        f"{gateway.url}/graphql",
        params={"query": "{ __typename }"},
        headers=headers(gateway, Accept="application/json"),
    )
    assert served(response) == {"__typename": "Query"}


# Malformed requests: typed 400, never 500


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        ("application/json", b"{not json", "Unable to parse request body as JSON"),
        ("application/json", b"\xff\xfe\x00", "not UTF-8"),
        ("application/json", b"", "Unable to parse request body as JSON"),
        ("application/json", b"null", "must be a JSON object"),
        ("application/json", b'"query"', "must be a JSON object"),
        ("application/json", b"42", "must be a JSON object"),
        ("application/json", b"[1, 2]", "must be a JSON object"),
        ("application/json", b"[]", "must be a JSON object"),
        ("application/json", b'{"query": 42}', "`query` must be a string"),
        ("application/json", b'{"query": "{ __typename }", "variables": [1]}', "variables"),
        ("application/json", b'{"query": "{ __typename }", "operationName": 1}', "operationName"),
        ("application/json", b"{}", "No GraphQL query found"),
        ("application/json", b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
        ("text/plain", b'{"query": "{ __typename }"}', "Unsupported content type"),
        ("application/x-www-form-urlencoded", b"query=%7B__typename%7D", "Unsupported"),
        ("multipart/form-data; boundary=x", b"--x--", "Unsupported content type"),
    ],
)
def test_malformed_request_is_a_typed_400(
    gateway: Gateway, content_type: str, body: bytes, message: str
) -> None:
    response = httpx.post(
        f"{gateway.url}/graphql",
        content=body,
        headers=headers(gateway, **{"Content-Type": content_type}),
    )
    error = refused(response, status=400)
    assert response.headers["content-type"] == "application/json"
    assert message in error["message"]


def test_operation_name_that_matches_nothing_is_a_typed_400(gateway: Gateway) -> None:
    response = httpx.post(
        f"{gateway.url}/graphql",
        json={"query": "query A { __typename } query B { __typename }", "operationName": "C"},
        headers=headers(gateway),
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_unsupported_method_and_unknown_path_are_typed(gateway: Gateway) -> None:
    response = httpx.put(f"{gateway.url}/graphql", headers=headers(gateway))
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] in CODES
    response = httpx.get(f"{gateway.url}/no-such-path", headers=headers(gateway))
    assert response.status_code == 404
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


# Production mode


INTROSPECTION = "{ __schema { types { name fields { name } } } }"


def test_production_refuses_introspection_without_revealing_the_schema(
    production: Gateway,
) -> None:
    for query in (INTROSPECTION, '{ __type(name: "StripeCustomer") { fields { name } } }'):
        response = production.post(query)
        error = refused(response)
        assert "introspection has been disabled" in error["message"]
        # Nothing of the schema beyond the names the query itself sent.
        for hidden in ("delinquent", "ContactInput", "StripeMatch", "Charge"):
            assert hidden not in response.text


def test_production_answers_a_misspelled_field_without_suggestions(production: Gateway) -> None:
    cases = [
        ('{ contact(id: "1") { emial } }', "Cannot query field 'emial' on type 'Contact'."),
        (
            '{ stripeCustomer(id: "cus_alpha") { charges(frist: 1) { edges { node { id } } } } }',
            "Unknown argument 'frist'",
        ),
        ("query($c: ContactInpt!) { stripeMatch(contact: $c) { method } }", "Unknown type"),
    ]
    for query, message in cases:
        response = production.post(query)
        error = refused(response)
        assert message in error["message"]
        assert "Did you mean" not in response.text
        for hidden in ("'email'", "'first'", "'ContactInput'"):
            assert hidden not in response.text


def test_production_hides_suggestions_in_variable_coercion(production: Gateway) -> None:
    response = production.post(
        "query($c: ContactInput!) { stripeMatch(contact: $c) { method } }",
        {"c": {"emial": "a@b.example"}},
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Did you mean" not in response.text
    assert "'email'" not in response.text


def test_production_keeps_typename_and_ordinary_queries(production: Gateway) -> None:
    assert served(production.post("{ __typename }")) == {"__typename": "Query"}
    served(production.post('{ stripeMatch(contact: {email: "alpha@alpha.example"}) { method } }'))


def test_production_serves_no_graphiql(production: Gateway) -> None:
    page = httpx.get(f"{production.url}/graphql", headers=headers(production, Accept="text/html"))
    assert page.status_code == 404
    assert page.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "<html" not in page.text
    anonymous = httpx.get(f"{production.url}/graphql", headers={"Accept": "text/html"})
    assert anonymous.status_code == 401


def test_development_keeps_introspection_suggestions_and_graphiql(gateway: Gateway) -> None:
    assert served(gateway.post(INTROSPECTION))["__schema"]["types"]
    response = gateway.post('{ contact(id: "1") { emial } }')
    assert "Did you mean 'email'?" in response.json()["errors"][0]["message"]
    page = httpx.get(f"{gateway.url}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "<html" in page.text


def test_production_switches_can_be_turned_back_on(start_gateway: GatewayFactory) -> None:
    with start_gateway(
        gateway_env="production",
        gateway_introspection=True,
        gateway_field_suggestions=True,
        gateway_graphiql=True,
    ) as running:
        assert served(running.post(INTROSPECTION))["__schema"]["types"]
        assert "Did you mean" in running.post('{ contact(id: "1") { emial } }').text
        page = httpx.get(f"{running.url}/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200


def test_introspection_depth_is_bounded_even_when_introspection_is_on(gateway: Gateway) -> None:
    """graphql-js's MaxIntrospectionDepthRule: a circular introspection query is refused."""
    query = "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }"
    error = refused(gateway.post(query))
    assert "Maximum introspection depth exceeded" in error["message"]
