"""The contact records the store hands out: plain frozen dataclasses, no ORM objects."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal


class _Unset(enum.Enum):
    """Type of the `UNSET` sentinel ("the caller did not give this field")."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = _Unset.UNSET
"""A field left out of `identify`: the stored value is kept (unlike `None`, which clears)."""

Unset = Literal[_Unset.UNSET]
"""The type of `UNSET`, for annotations such as `str | None | Unset`."""


@dataclass(frozen=True, slots=True)
class Contact:
    """A stored helpdesk contact.

    `custom_data` is a fresh dict per read: mutating it changes nothing stored.
    Both datetimes are timezone-aware, in UTC.
    """

    id: str
    name: str | None
    email: str | None
    custom_data: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ContactPage:
    """One page of `ContactStore.list`, shaped for a Relay connection.

    `cursors[i]` is the opaque cursor of `contacts[i]`; pass `end_cursor` as `after` to get
    the next page. `has_previous_page` is true when the page was asked for `after` a cursor.
    """

    contacts: list[Contact]
    cursors: list[str] = field(default_factory=list)
    has_next_page: bool = False
    has_previous_page: bool = False

    @property
    def start_cursor(self) -> str | None:
        """Cursor of the first contact of the page, or None when the page is empty."""
        return self.cursors[0] if self.cursors else None

    @property
    def end_cursor(self) -> str | None:
        """Cursor of the last contact of the page, or None when the page is empty."""
        return self.cursors[-1] if self.cursors else None

    @property
    def edges(self) -> list[tuple[str, Contact]]:
        """`(cursor, contact)` pairs in page order."""
        return list(zip(self.cursors, self.contacts, strict=True))
