"""The `contacts` table (SQLAlchemy Core), the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Dialect, Index, MetaData, String, Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime that always comes back in UTC.

    PostgreSQL stores `timestamptz`. SQLite has no time zones: the value is stored as naive
    UTC text (sortable, so keyset pagination compares it correctly) and UTC is attached
    again on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone-aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

contacts = Table(
    "contacts",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("name", String(256), nullable=True),
    Column("email", String(254), nullable=True),
    Column("custom_data", JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_contacts_email", "email"),
    Index("ix_contacts_created_at_id", "created_at", "id"),
)
"""One row per contact. `custom_data` is JSONB on PostgreSQL, JSON text on SQLite."""
