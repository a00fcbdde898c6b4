"""The contact store: helpdesk contacts on SQLite (a file by default) or PostgreSQL.

```python
store = await ContactStore.open("sqlite+aiosqlite:///./stripe-gateway.sqlite3")
await store.identify("19283", email="ada@acme.com", custom_data={"plan": "pro"})
contact = await store.get("19283")
await store.close()
```
"""

from stripe_gateway.contacts.cursor import decode_cursor, encode_cursor
from stripe_gateway.contacts.models import UNSET, Contact, ContactPage, Unset
from stripe_gateway.contacts.store import (
    DEFAULT_CUSTOM_DATA_MAX_BYTES,
    DEFAULT_DATABASE_URL,
    ContactStore,
    async_database_url,
)
from stripe_gateway.contacts.validation import (
    MAX_CUSTOM_DATA_DEPTH,
    MAX_PAGE_SIZE,
    ContactValidationError,
)

__all__ = [
    "DEFAULT_CUSTOM_DATA_MAX_BYTES",
    "DEFAULT_DATABASE_URL",
    "MAX_CUSTOM_DATA_DEPTH",
    "MAX_PAGE_SIZE",
    "UNSET",
    "Contact",
    "ContactPage",
    "ContactStore",
    "ContactValidationError",
    "Unset",
    "async_database_url",
    "decode_cursor",
    "encode_cursor",
]
