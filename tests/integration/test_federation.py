"""Federation mode without Node: the subgraph's SDL, `_entities` over HTTP against the fake
Stripe, typed per-entity errors, request counts, and `_service`/`_entities` with
introspection switched off. tests/e2e composes and queries it through a real gateway."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from strawberry.extensions import DisableIntrospection

from stripe_gateway.config import load_settings
from stripe_gateway.resolvers.context import GatewayContext
from stripe_gateway.schema import build_schema
from stripe_gateway.schema.federation import build_federation_schema
from stripe_gateway.server import close_services, open_services
from tests.integration.conftest import TEST_KEY, TEST_TOKEN, FakeStripe, Gateway, GatewayFactory
from tests.servers import free_port

ENTITIES = """
query($r: [_Any!]!) { _entities(representations: $r) {
  __typename
  ... on Contact { id stripeMatch { method customer { id } alternatives { id } } stripeCustomer { id } }
  ... on StripeCustomer { id email }
} }
"""


@pytest.fixture(scope="module")
def subgraph(start_gateway: GatewayFactory) -> Iterator[Gateway]:
    with start_gateway(graphql_federation=True) as running:
        yield running


def contact(contact_id: str, email: str | None, custom_data: Any = None) -> dict[str, Any]:
    return {"__typename": "Contact", "id": contact_id, "email": email, "customData": custom_data}


def stripe_requests(fake: FakeStripe) -> list[str]:
    return [p for p in fake.paths() if p.startswith("/v1/")]


def test_sdl_declares_the_entity_contract() -> None:
    sdl = build_schema(federation=True).as_str()
    expected = [
        'schema @link(url: "https://specs.apollo.dev/federation/v2.3"',
        'type Contact @key(fields: "id") {\n  id: ID!\n  email: String @external\n'
        "  customData: JSON @external\n",
        'stripeMatch: StripeMatch! @requires(fields: "email customData")',
        'stripeCustomer: StripeCustomer @requires(fields: "email customData")',
        'type StripeCustomer @key(fields: "id") {',
        "stripeMatch(contact: StripeContactInput!): StripeMatch!",
        "stripeCustomer(id: ID!): StripeCustomer",
        "union _Entity = Contact | StripeCustomer",
    ]
    for text in expected:
        assert text in sdl
    # The subgraph owns no contacts, and its value types cannot collide with another's.
    for absent in ("contacts(", "contact(id", "type Mutation", "identifyContact", "custom_data"):
        assert absent not in sdl
    for prefixed in ("StripePageInfo", "StripeCharge", "StripeMoney", "StripeMatchStep"):
        assert f"type {prefixed} {{" in sdl
    assert "type PageInfo" not in sdl
    assert "type Money" not in sdl


def test_standalone_schema_is_unchanged_by_federation() -> None:
    sdl = build_schema().as_str()
    assert "@key" not in sdl
    assert "_service" not in sdl
    assert "_entities" not in sdl
    assert "type PageInfo {" in sdl
    assert "contacts(" in sdl


def test_export_schema_prints_what_service_sdl_returns(subgraph: Gateway) -> None:
    served = subgraph.query("{ _service { sdl } }")["_service"]["sdl"]
    result = subprocess.run(
        [sys.executable, "-m", "stripe_gateway.cli", "export-schema", "--federation"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout == served + "\n"
    standalone = subprocess.run(
        [sys.executable, "-m", "stripe_gateway.cli", "export-schema"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert standalone.stdout == build_schema().as_str() + "\n"


def test_entities_match_contacts_against_stripe(subgraph: Gateway, fresh: FakeStripe) -> None:
    representations = [
        contact("1", "alpha@alpha.example"),
        contact("2", " Bravo.PERSON@bravo.example ", {}),
        contact("3", "dup@dup.example", {"plan": "pro"}),
        contact("4", "someone@initrode.example"),
        contact("5", None, {"stripeCustomerId": "cus_alpha"}),
        contact("6", None, None),
    ]
    data = subgraph.query(ENTITIES, {"r": representations})
    found = [
        (e["id"], e["stripeMatch"]["method"], (e["stripeMatch"]["customer"] or {}).get("id"))
        for e in data["_entities"]
    ]
    assert found == [
        ("1", "EMAIL", "cus_alpha"),
        ("2", "EMAIL", "cus_bravo"),
        ("3", "EMAIL", "cus_dup_live"),
        ("4", "DOMAIN", "cus_initrode_old"),
        ("5", "CUSTOMER_ID", "cus_alpha"),
        ("6", "NONE", None),
    ]
    assert data["_entities"][2]["stripeMatch"]["alternatives"] == [
        {"id": "cus_dup_new"},
        {"id": "cus_dup_old"},
    ]
    assert [e["stripeCustomer"] for e in data["_entities"]] == [
        {"id": "cus_alpha"},
        {"id": "cus_bravo"},
        {"id": "cus_dup_live"},
        {"id": "cus_initrode_old"},
        {"id": "cus_alpha"},
        None,
    ]
    # Batched like the standalone list: one retrieve and one search for all four emails,
    # then one domain search for the contact whose email found nothing.
    assert sorted(stripe_requests(fresh)) == [
        "/v1/customers/cus_alpha",
        "/v1/customers/search",
        "/v1/customers/search",
    ]


def test_representation_without_required_fields_is_an_error_for_that_entity_only(
    subgraph: Gateway, fresh: FakeStripe
) -> None:
    representations = [
        contact("1", "alpha@alpha.example"),
        {"__typename": "Contact", "id": "2"},
        {"__typename": "Contact", "id": "3", "email": "bravo.person@bravo.example"},
        {"__typename": "Contact", "id": "4", "customData": {"stripeCustomerId": "cus_alpha"}},
        contact("5", "alpha@alpha.example", ["not", "an", "object"]),
        contact("6", 42),
    ]
    response = subgraph.post(ENTITIES, {"r": representations})
    assert response.status_code == 200
    body = response.json()
    entities = body["data"]["_entities"]
    assert entities[0]["stripeMatch"]["customer"] == {"id": "cus_alpha"}
    assert entities[1:] == [None] * 5
    errors = {tuple(e["path"]): e for e in body["errors"]}
    assert set(errors) == {("_entities", i) for i in range(1, 6)}
    assert all(e["extensions"] == {"code": "BAD_USER_INPUT"} for e in errors.values())
    assert "lacks email and customData" in errors[("_entities", 1)]["message"]
    assert "lacks customData" in errors[("_entities", 2)]["message"]
    assert "lacks email" in errors[("_entities", 3)]["message"]
    assert "customData must be a JSON object" in errors[("_entities", 4)]["message"]
    assert "`email` must be a string" in errors[("_entities", 5)]["message"]
    assert stripe_requests(fresh) == ["/v1/customers/search"]


def test_stripe_customer_entities_resolve_by_id(subgraph: Gateway, fresh: FakeStripe) -> None:
    representations = [
        {"__typename": "StripeCustomer", "id": "cus_bravo"},
        {"__typename": "StripeCustomer", "id": "cus_nope"},
        {"__typename": "StripeCustomer", "id": "cus_gone"},
        {"__typename": "StripeCustomer", "id": "not a customer id!"},
    ]
    body = subgraph.post(ENTITIES, {"r": representations}).json()
    assert body["data"]["_entities"] == [
        {"__typename": "StripeCustomer", "id": "cus_bravo", "email": "Bravo.Person@Bravo.example"},
        None,
        None,
        None,
    ]
    [error] = body["errors"]
    assert error["path"] == ["_entities", 3]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    # The three valid ids, fetched concurrently through the customer DataLoader.
    assert sorted(stripe_requests(fresh)) == [
        "/v1/customers/cus_bravo",
        "/v1/customers/cus_gone",
        "/v1/customers/cus_nope",
    ]


def test_stripe_failure_is_a_typed_error_at_the_entity(
    subgraph: Gateway, fresh: FakeStripe
) -> None:
    fresh.fault(path="/v1/customers/search", status=500, times=100)
    body = subgraph.post(ENTITIES, {"r": [contact("1", "alpha@alpha.example")]}).json()
    # stripeMatch still answers (method and trail); its customer carries the error.
    [entity] = body["data"]["_entities"]
    assert entity["stripeMatch"]["customer"] is None
    assert entity["stripeCustomer"] is None
    codes = {tuple(e["path"]): e["extensions"]["code"] for e in body["errors"]}
    assert codes == {
        ("_entities", 0, "stripeMatch", "customer"): "STRIPE_UNAVAILABLE",
        ("_entities", 0, "stripeCustomer"): "STRIPE_UNAVAILABLE",
    }


def test_twenty_entities_cost_no_more_than_twenty_standalone_contacts(
    start_gateway: GatewayFactory, fake: FakeStripe
) -> None:
    emails = [
        "alpha@alpha.example",
        "bravo.person@bravo.example",
        "dup@dup.example",
        "a@initrode.example",
        "tie@tie.example",
        "yen@yen.example",
        "busy@busy.example",
        "quiet@quiet.example",
        "ghost@ghost.example",
        "someone@gmail.com",
        "friend@gmail.com",
        "o'brien@acme.example",
        "ops@initrode.example",
        "x@mail.initrode.example",
        "nobody@nowhere.example",
        None,
        None,
        "ALPHA@alpha.example",
        "y@notinitrode.example",
        "z@initrode.example.org",
    ]
    custom = [{"stripeCustomerId": "cus_alpha"} if i % 7 == 0 else {} for i in range(20)]
    custom[15] = {"stripeCustomerId": "cus_gone"}
    with start_gateway() as standalone:
        for i, email in enumerate(emails):
            standalone.identify(f"c{i:02}", email=email, customData=custom[i])
        fake.clear()
        listed = standalone.query(
            "{ contacts(first: 20) { edges { node { id stripeMatch { method customer { id } } } } } }"
        )
        standalone_requests = stripe_requests(fake)
    with start_gateway(graphql_federation=True) as subgraph:
        fake.clear()
        data = subgraph.query(
            ENTITIES, {"r": [contact(f"c{i:02}", e, custom[i]) for i, e in enumerate(emails)]}
        )
        entity_requests = stripe_requests(fake)
    expected = [
        {"id": e["node"]["id"], "stripeMatch": e["node"]["stripeMatch"]}
        for e in listed["contacts"]["edges"]
    ]
    got = [
        {
            "id": e["id"],
            "stripeMatch": {
                "method": e["stripeMatch"]["method"],
                "customer": e["stripeMatch"]["customer"],
            },
        }
        for e in data["_entities"]
    ]
    assert got == expected
    assert len(entity_requests) <= len(standalone_requests), (entity_requests, standalone_requests)


async def test_service_and_entities_work_with_introspection_disabled(
    fake: FakeStripe, tmp_path: Path
) -> None:
    schema = build_federation_schema(extensions=[DisableIntrospection])
    settings = load_settings(
        stripe_api_key=TEST_KEY,
        stripe_api_base=fake.url,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'contacts.sqlite3'}",
        graphql_federation=True,
    )
    services = await open_services(settings)
    try:
        introspection = await schema.execute(
            "{ __schema { types { name } } }", context_value=GatewayContext(services=services)
        )
        assert introspection.errors
        service = await schema.execute(
            "{ _service { sdl } }", context_value=GatewayContext(services=services)
        )
        assert service.errors is None
        assert service.data is not None
        assert service.data["_service"]["sdl"] == schema.as_str()
        entities = await schema.execute(
            ENTITIES,
            variable_values={"r": [contact("1", "alpha@alpha.example")]},
            context_value=GatewayContext(services=services),
        )
        assert entities.errors is None
        assert entities.data is not None
        assert entities.data["_entities"][0]["stripeMatch"]["customer"] == {"id": "cus_alpha"}
    finally:
        await close_services(services)


def test_service_and_entities_need_the_same_authentication(subgraph: Gateway) -> None:
    if subgraph.token is None:
        pytest.skip("test gateways run without authentication")
    for query, variables in (
        ("{ _service { sdl } }", {}),
        (ENTITIES, {"r": [contact("1", "alpha@alpha.example")]}),
    ):
        anonymous = Gateway(subgraph.url).post(query, variables)
        assert anonymous.status_code == 401
        assert "_service" not in anonymous.text
        assert "cus_alpha" not in anonymous.text
        assert subgraph.post(query, variables).status_code == 200


def test_service_and_entities_stay_reachable_when_introspection_is_off(
    start_gateway: GatewayFactory, fresh: FakeStripe
) -> None:
    with start_gateway(graphql_federation=True, gateway_introspection=False) as subgraph:
        refused = subgraph.post("{ __schema { queryType { name } } }").json()
        assert refused["errors"]
        assert "data" not in refused or refused["data"] is None
        sdl = subgraph.query("{ _service { sdl } }")["_service"]["sdl"]
        assert sdl == build_schema(federation=True).as_str()
        data = subgraph.query(ENTITIES, {"r": [contact("1", "alpha@alpha.example")]})
        assert data["_entities"][0]["stripeMatch"]["customer"] == {"id": "cus_alpha"}


def test_cli_serve_federation_serves_the_subgraph(fake: FakeStripe, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "STRIPE_API_KEY": TEST_KEY,
        "STRIPE_API_BASE": fake.url,
        "GATEWAY_API_TOKENS": TEST_TOKEN,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'contacts.sqlite3'}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_gateway.cli", "serve", "--federation", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "serve --federation exited"
            assert time.monotonic() < deadline, "serve --federation did not start"
            time.sleep(0.1)
        gateway = Gateway(url, token=TEST_TOKEN)
        sdl = gateway.query("{ _service { sdl } }")["_service"]["sdl"]
        assert sdl == build_schema(federation=True).as_str()
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_cli_refuses_demo_with_federation() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stripe_gateway.cli", "serve", "--demo", "--federation"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--federation" in result.stderr
    assert "Traceback" not in result.stderr
