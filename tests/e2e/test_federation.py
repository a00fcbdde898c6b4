"""The gateway as an Apollo Federation v2 subgraph behind a real federation gateway.

The fake Stripe and the gateway in federation mode run in this process; a contacts subgraph
written for the test (contacts-subgraph.mjs, @apollo/subgraph) owns `Contact`; composition
runs with @apollo/composition (compose.mjs) and @apollo/gateway with IntrospectAndCompose
serves the supergraph (gateway.mjs). Needs Node 20+ and `npm ci` in tests/e2e.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.node_tools import compose, require_node, run_node, write_contacts
from tests.integration.conftest import FakeStripe, Gateway, GatewayFactory
from tests.servers import free_port

pytestmark = pytest.mark.node

# Twenty contacts owned by the contacts subgraph, over tests/data/stripe.json.
CONTACTS: list[dict[str, Any]] = [
    {"id": "c01", "name": "Alpha", "email": "alpha@alpha.example", "customData": {}},
    {"id": "c02", "name": "Bravo", "email": " Bravo.PERSON@bravo.example ", "customData": None},
    {"id": "c03", "name": "Dup", "email": "dup@dup.example", "customData": {"plan": "pro"}},
    {"id": "c04", "name": "Initrode", "email": "someone@initrode.example", "customData": {}},
    {"id": "c05", "name": "By id", "email": None, "customData": {"stripeCustomerId": "cus_alpha"}},
    {
        "id": "c06",
        "name": "Deleted id",
        "email": "bravo.person@bravo.example",
        "customData": {"stripeCustomerId": "cus_gone"},
    },
    {"id": "c07", "name": "Nobody", "email": None, "customData": None},
    {"id": "c08", "name": "Gmail", "email": "someone.else@gmail.com", "customData": {}},
    {"id": "c09", "name": "O'Brien", "email": "o'brien@acme.example", "customData": {}},
    {"id": "c10", "name": "Yen", "email": "yen@yen.example", "customData": {}},
    {"id": "c11", "name": "Busy", "email": "busy@busy.example", "customData": {}},
    {"id": "c12", "name": "Quiet", "email": "quiet@quiet.example", "customData": {}},
    {"id": "c13", "name": "Tie", "email": "tie@tie.example", "customData": {}},
    {"id": "c14", "name": "Ghost", "email": "ghost@ghost.example", "customData": {}},
    {"id": "c15", "name": "Ops", "email": "ops@initrode.example", "customData": {}},
    {"id": "c16", "name": "Child", "email": "x@mail.initrode.example", "customData": {}},
    {"id": "c17", "name": "Alpha again", "email": "ALPHA@alpha.example", "customData": {}},
    {
        "id": "c18",
        "name": "Unknown id",
        "email": "quiet@quiet.example",
        "customData": {"stripeCustomerId": "cus_nope"},
    },
    {"id": "c19", "name": "Nowhere", "email": "nobody@nowhere.example", "customData": {}},
    {"id": "c20", "name": "Suffix", "email": "z@initrode.example.org", "customData": {}},
]
CONTACTS[0]["billingCustomerId"] = "cus_bravo"

EXPECTED = {
    "c01": ("EMAIL", "cus_alpha"),
    "c02": ("EMAIL", "cus_bravo"),
    "c03": ("EMAIL", "cus_dup_live"),
    "c04": ("DOMAIN", "cus_initrode_old"),
    "c05": ("CUSTOMER_ID", "cus_alpha"),
    "c06": ("EMAIL", "cus_bravo"),
    "c07": ("NONE", None),
    "c08": ("NONE", None),
    "c09": ("EMAIL", "cus_obrien"),
    "c10": ("EMAIL", "cus_yen"),
    "c11": ("EMAIL", "cus_busy"),
    "c12": ("EMAIL", "cus_quiet"),
    "c14": ("NONE", None),
    "c15": ("EMAIL", "cus_initrode_new"),
    "c16": ("EMAIL", "cus_child_domain"),
    "c17": ("EMAIL", "cus_alpha"),
    "c18": ("EMAIL", "cus_quiet"),
    "c19": ("NONE", None),
    "c20": ("EMAIL", "cus_suffix_domain"),
}

SUPERGRAPH_QUERY = """
{ contacts(first: 20) { id name stripeMatch { method customer { id } } } }
"""
STANDALONE_QUERY = """
{ contacts(first: 20) { edges { node { id name stripeMatch { method customer { id } } } } } }
"""


@dataclass
class Supergraph:
    """A running federation gateway in front of the contacts subgraph and ours."""

    url: str
    subgraph: Gateway

    def post(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.post(self.url, json={"query": query, "variables": variables or {}}, timeout=60)

    def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post(query, variables)
        body: dict[str, Any] = response.json()
        assert response.status_code == 200, body
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data


def subgraph_env(gateway: Gateway) -> dict[str, str]:
    """How the Node side authenticates to our subgraph, when the gateway has a token."""
    return {"SUBGRAPH_AUTHORIZATION": f"Bearer {gateway.token}"} if gateway.token else {}


@pytest.fixture(scope="module")
def node() -> str:
    return require_node()


@pytest.fixture(scope="module")
def contacts_subgraph(node: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The contacts subgraph's URL."""
    data = write_contacts(tmp_path_factory.mktemp("contacts") / "contacts.json", CONTACTS)
    with run_node(node, "contacts-subgraph.mjs", str(data)) as running:
        yield running.url


SupergraphFactory = Callable[..., AbstractContextManager[Supergraph]]


@pytest.fixture(scope="module")
def start_supergraph(
    node: str, contacts_subgraph: str, start_gateway: GatewayFactory
) -> SupergraphFactory:
    """Start a gateway in federation mode and @apollo/gateway over it and the contacts."""

    @contextmanager
    def start(**overrides: Any) -> Iterator[Supergraph]:
        with start_gateway(graphql_federation=True, **overrides) as ours:
            port = str(free_port())
            with run_node(
                node,
                "gateway.mjs",
                port,
                f"contacts={contacts_subgraph}",
                f"stripe={ours.url}/graphql",
                env=subgraph_env(ours),
            ) as gateway:
                yield Supergraph(gateway.url, ours)

    return start


@pytest.fixture(scope="module")
def supergraph(start_supergraph: SupergraphFactory) -> Iterator[Supergraph]:
    # As in production: introspection off (IntrospectAndCompose reads `_service`, a plain
    # field) and the gateway's bearer token sent to the subgraph.
    with start_supergraph(gateway_introspection=False) as running:
        yield running


def matches(contacts: list[dict[str, Any]]) -> dict[str, tuple[str, str | None]]:
    return {
        c["id"]: (c["stripeMatch"]["method"], (c["stripeMatch"]["customer"] or {}).get("id"))
        for c in contacts
    }


def stripe_requests(fake: FakeStripe) -> list[str]:
    return [p for p in fake.paths() if p.startswith("/v1/")]


def test_subgraph_composes_with_a_contacts_subgraph(
    node: str, contacts_subgraph: str, start_gateway: GatewayFactory
) -> None:
    with start_gateway(graphql_federation=True) as ours:
        result = compose(
            node,
            ("contacts", contacts_subgraph),
            ("stripe", f"{ours.url}/graphql"),
            env=subgraph_env(ours),
        )
    assert result.returncode == 0, result.stderr
    assert "composition error" not in result.stderr
    supergraph = result.stdout
    assert '@join__type(graph: STRIPE, key: "id")' in supergraph
    assert (
        'stripeMatch: StripeMatch! @join__field(graph: STRIPE, requires: "email customData")'
        in (supergraph)
    )
    assert (
        "email: String @join__field(graph: CONTACTS) @join__field(graph: STRIPE, external: true)"
        in (supergraph)
    )
    # Both subgraphs have a page-info type and a contact input, under different names.
    assert "type PageInfo\n" in supergraph
    assert "type StripePageInfo\n" in supergraph
    assert "input ContactInput\n" in supergraph
    assert "input StripeContactInput\n" in supergraph


def test_exported_sdl_composes_and_snake_case_requires_would_not(
    node: str, contacts_subgraph: str, tmp_path: Path
) -> None:
    exported = subprocess.run(
        [sys.executable, "-m", "stripe_gateway.cli", "export-schema", "--federation"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    good = tmp_path / "stripe.graphql"
    good.write_text(exported)
    result = compose(node, ("contacts", contacts_subgraph), ("stripe", str(good)))
    assert result.returncode == 0, result.stderr

    # What Strawberry would print if it converted names (its issue 591): composition fails.
    bad = tmp_path / "snake.graphql"
    bad.write_text(exported.replace('"email customData"', '"email custom_data"'))
    result = compose(node, ("contacts", contacts_subgraph), ("stripe", str(bad)))
    assert result.returncode == 1
    assert "custom_data" in result.stderr


def test_supergraph_adds_stripe_matches_to_the_contacts(
    supergraph: Supergraph, fresh: FakeStripe
) -> None:
    # The subgraph refuses introspection, yet the gateway composed it from `_service`.
    assert supergraph.subgraph.post("{ __schema { queryType { name } } }").json()["errors"]
    data = supergraph.query(SUPERGRAPH_QUERY)
    contacts = data["contacts"]
    assert [c["id"] for c in contacts] == [c["id"] for c in CONTACTS]
    assert [c["name"] for c in contacts] == [c["name"] for c in CONTACTS]
    found = matches(contacts)
    assert {k: v for k, v in found.items() if k in EXPECTED} == EXPECTED
    assert found["c13"][0] == "EMAIL"
    assert found["c13"][1] in {"cus_dup_tie_a", "cus_dup_tie_b"}


def test_supergraph_nested_stripe_data_and_customer_entities(
    supergraph: Supergraph, fresh: FakeStripe
) -> None:
    data = supergraph.query(
        """{ contact(id: "c01") {
          name
          stripeCustomer { id email subscriptions { status } }
          stripeMatch { trail { method outcome } alternatives { id } }
          billingCustomer { id name email }
        } }"""
    )
    contact = data["contact"]
    assert contact["stripeCustomer"] == {
        "id": "cus_alpha",
        "email": "alpha@alpha.example",
        "subscriptions": [{"status": "active"}],
    }
    assert contact["stripeMatch"]["trail"][0] == {
        "method": "CUSTOMER_ID",
        "outcome": "SKIPPED_NO_VALUE",
    }
    # billingCustomer is a StripeCustomer reference from the contacts subgraph, resolved
    # through our StripeCustomer @key.
    assert contact["billingCustomer"]["id"] == "cus_bravo"
    assert contact["billingCustomer"]["email"] == "Bravo.Person@Bravo.example"


def test_stripe_failure_reaches_the_supergraph_as_a_typed_error(
    supergraph: Supergraph, fresh: FakeStripe
) -> None:
    fresh.fault(path="/v1/customers/search", status=500, times=100)
    response = supergraph.post(
        '{ contact(id: "c02") { name stripeMatch { method customer { id } } } }'
    )
    body = response.json()
    assert body["data"]["contact"]["name"] == "Bravo"
    assert body["data"]["contact"]["stripeMatch"]["customer"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "STRIPE_UNAVAILABLE"
    assert error["path"] == ["contact", "stripeMatch", "customer"]


def test_twenty_contacts_cost_no_more_stripe_requests_than_standalone(
    start_supergraph: SupergraphFactory, start_gateway: GatewayFactory, fake: FakeStripe
) -> None:
    # Standalone: the same twenty contacts in the gateway's own store.
    with start_gateway() as standalone:
        for c in CONTACTS:
            standalone.identify(
                c["id"], name=c["name"], email=c["email"], customData=c["customData"] or {}
            )
        fake.clear()
        listed = standalone.query(STANDALONE_QUERY)
        standalone_requests = stripe_requests(fake)
    # Federated: a fresh subgraph (nothing cached) behind a fresh federation gateway.
    with start_supergraph() as supergraph:
        fake.clear()
        federated = supergraph.query(SUPERGRAPH_QUERY)
        federated_requests = stripe_requests(fake)

    standalone_matches = matches([e["node"] for e in listed["contacts"]["edges"]])
    assert matches(federated["contacts"]) == standalone_matches
    print(
        f"\nStripe requests for 20 contacts: supergraph {len(federated_requests)}, "
        f"standalone {len(standalone_requests)}"
    )
    assert len(federated_requests) <= len(standalone_requests), (
        federated_requests,
        standalone_requests,
    )
