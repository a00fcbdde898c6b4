"""Opaque page cursors: URL-safe base64 of the JSON `[created_at ISO 8601, id]`.

Contacts are listed in `(created_at, id)` order: the order they were first identified,
which never changes for a stored contact, with the id breaking ties.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from stripe_gateway.contacts.validation import ContactValidationError, lookup_id

_MAX_CURSOR_LENGTH = 4096


def encode_cursor(created_at: datetime, contact_id: str) -> str:
    """The cursor that points at the contact with this creation time and id."""
    raw = json.dumps([created_at.astimezone(UTC).isoformat(), contact_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Return `(created_at, id)` from a cursor; a malformed one raises BadUserInput."""
    malformed = ContactValidationError("after", "is not a cursor returned by this API")
    if not isinstance(cursor, str) or not cursor or len(cursor) > _MAX_CURSOR_LENGTH:
        raise malformed
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        decoded = json.loads(raw.decode("utf-8"))
        if not (
            isinstance(decoded, list)
            and len(decoded) == 2
            and all(isinstance(part, str) for part in decoded)
        ):
            raise ValueError("not a [created_at, id] pair")
        created_at = datetime.fromisoformat(decoded[0])
        if created_at.tzinfo is None:
            raise ValueError("naive timestamp")
        if lookup_id(decoded[1]) != decoded[1]:
            raise ValueError("not a contact id")
        return created_at.astimezone(UTC), decoded[1]
    except (ValueError, UnicodeError, binascii.Error):
        raise malformed from None
