"""`stripe-gateway serve --demo`: the gateway and a fake Stripe with demo data, in one process.

The only module of the gateway that imports `fake_stripe`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import SecretStr

from stripe_gateway.config import load_settings
from stripe_gateway.contacts import ContactStore
from stripe_gateway.server import create_app

DEMO_KEY = "rk_test_demo_not_a_real_key"
# The demo's bearer token (GATEWAY_API_TOKENS, when set, replaces it). The demo serves
# fake data on 127.0.0.1 only, so a short, printed token is fine here and nowhere else.
DEMO_TOKEN = "demo"
DEMO_HOST = "127.0.0.1"

# One contact per case the matching rule knows; the customers are in fake_stripe/demo_data.json.
DEMO_CONTACTS: list[dict[str, Any]] = [
    # CUSTOMER_ID: the helpdesk knows the Stripe id.
    {
        "id": "1001",
        "name": "Grace Hopper",
        "email": "grace@hopper-labs.example",
        "customData": {"stripeCustomerId": "cus_demo_byid", "plan": "pro"},
    },
    # EMAIL: same address, other case.
    {"id": "1002", "name": "Ada Lovelace", "email": "ada@lovelace.example"},
    # DOMAIN: nobody at Initech has this address, but the company pays.
    {"id": "1003", "name": "Peter Gibbons", "email": "peter@initech.example"},
    # NONE: an address and domain Stripe does not know.
    {"id": "1004", "name": "Milton Waddams", "email": "milton@basement.example"},
    # Public provider: the domain step is skipped for gmail.com.
    {"id": "1005", "name": "Jordan Gmail", "email": "jordan.lee@gmail.com"},
    # Duplicate email: two customers, the one with a live subscription wins.
    {"id": "1006", "name": "Sam Rivera", "email": "sam@rivera-design.example"},
    # A deleted customer id: falls through to the email step.
    {
        "id": "1007",
        "name": "Kenji Sato",
        "email": "kenji@sakura-tea.example",
        "customData": {"stripeCustomerId": "cus_demo_deleted"},
    },
    # Public provider with an exact email match.
    {"id": "1008", "name": "Taylor Quinn", "email": "taylor.quinn@gmail.com"},
    {"id": "1009", "name": "Priya Patel", "email": "priya@globex.example"},
    {"id": "1010", "name": "Lukas Berg", "email": "lukas@bergwerk.example"},
    {"id": "1011", "name": "Morgan Umbrella", "email": "morgan@umbrella-works.example"},
    # No email and no id: costs no Stripe request at all.
    {"id": "1012", "name": "Walk-in visitor", "customData": {"source": "chat"}},
]

EXAMPLE_QUERY = """{ contacts(first: 10) { edges { node { name email
  stripeMatch { method trail { method outcome detail }
    customer { id name delinquent dashboardUrl
      charges(first: 5) { edges { node { amount { formatted } status created } } }
      subscriptions { status items { price { productName unitAmount { formatted } } } } }
    alternatives { id email } } } } } }"""


async def _seed_contacts(database_url: str) -> None:
    store = await ContactStore.open(database_url)
    try:
        for contact in DEMO_CONTACTS:
            await store.identify(
                contact["id"],
                name=contact.get("name"),
                email=contact.get("email"),
                custom_data=contact.get("customData", {}),
            )
    finally:
        await store.close()


async def _start(server: uvicorn.Server) -> asyncio.Task[None]:
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it
            raise RuntimeError("server stopped during start-up")
        await asyncio.sleep(0.02)
    return task


async def run_demo(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the demo until interrupted; always on loopback."""
    import fake_stripe

    data = json.loads(resources.files("fake_stripe").joinpath("demo_data.json").read_text("utf-8"))
    fake = uvicorn.Server(
        uvicorn.Config(fake_stripe.create_app(data), host="127.0.0.1", port=0, log_level="warning")
    )
    fake_task = await _start(fake)
    fake_port = fake.servers[0].sockets[0].getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="stripe-gateway-demo-") as tmp:
        database_url = f"sqlite+aiosqlite:///{Path(tmp) / 'demo.sqlite3'}"
        await _seed_contacts(database_url)
        settings = load_settings(
            stripe_api_key=DEMO_KEY,
            stripe_api_base=f"http://127.0.0.1:{fake_port}",
            database_url=database_url,
        )
        if not settings.api_tokens:
            settings = settings.model_copy(update={"gateway_api_tokens": SecretStr(DEMO_TOKEN)})
        token = settings.api_tokens[0]
        # The short demo token is deliberate; do not warn about it.
        logging.getLogger("stripe_gateway.security").setLevel(logging.ERROR)
        host = DEMO_HOST  # never anything but loopback
        gateway = uvicorn.Server(
            uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning")
        )
        gateway_task = await _start(gateway)
        url = f"http://{host}:{port}/graphql"
        print(f"stripe-gateway demo: GraphiQL at {url}", flush=True)
        print(
            f'bearer token: {token} (in GraphiQL, Headers: {{"Authorization": "Bearer {token}"}})'
        )
        print(
            f"  curl -s {url} -H 'Authorization: Bearer {token}' "
            "-H 'Content-Type: application/json' "
            """-d '{"query": "{ contact(id: \\"1001\\") { name stripeMatch { method } } }"}'"""
        )
        print(f"fake Stripe at http://127.0.0.1:{fake_port} (request log: /_fake/requests)")
        print("try this query:\n" + EXAMPLE_QUERY, flush=True)
        try:
            await gateway_task
        finally:
            fake.should_exit = True
            await fake_task
