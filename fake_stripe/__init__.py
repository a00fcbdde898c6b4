"""A Stripe-compatible fake HTTP server for tests, benchmarks and the demo.

It serves the slice of Stripe's API the gateway reads, with Stripe's status codes, error
bodies, list and search envelopes and object shapes (every object has exactly the keys
of Stripe's own example in `stripe_fixtures/fixtures3.json`).

Run it with `python -m fake_stripe --port 12111 --data FILE` or in process with
`create_app(data)`.

Data file format (JSON; every key optional, unknown top-level keys ignored)::

    {
      "customers":     [{"id": "cus_1", "email": "ada@example.com", "name": "Ada"},
                        {"id": "cus_old", "deleted": true}],
      "subscriptions": [{"id": "sub_1", "customer": "cus_1", "status": "active",
                         "items": [{"price": "price_1", "quantity": 2}]}],
      "charges":       [{"id": "ch_1", "customer": "cus_1", "amount": 1200}],
      "products":      [{"id": "prod_1", "name": "Pro"}],
      "prices":        [{"id": "price_1", "product": "prod_1", "unit_amount": 1200,
                         "currency": "usd", "recurring": {"interval": "month"}}]
    }

Each entry is a Stripe object, partial as you like: left-out fields take Stripe's
defaults (null, false, 0 where Stripe starts at 0, `{}` metadata, `[]` lists,
`created` = load time, `livemode` false), never the fixture's example values. Keys
Stripe does not send are dropped. A customer with `"deleted": true` is deleted. A
subscription item's `price` is a price id from `prices` or a full price object; a
subscription may give `current_period_start`/`current_period_end`, which move onto its
items as in the current API. A customer may embed its `subscriptions` (a list).

Control endpoints (no API key) live under `/_fake/`: the request log, faults (error
statuses, delays), upserting objects, and settings; see `fake_stripe.control`.
"""

from fake_stripe.app import create_app
from fake_stripe.config import MODE_LIMITS, FakeConfig
from fake_stripe.store import DataError, Store

__all__ = ["MODE_LIMITS", "DataError", "FakeConfig", "Store", "create_app"]
