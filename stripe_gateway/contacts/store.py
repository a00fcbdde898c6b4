"""`ContactStore`: the contacts, on SQLite (a file by default) or PostgreSQL.

Writes (`identify`, `delete`) run in one transaction each: a rejected input or a database
error rolls back and leaves the stored contact as it was. `identify` is safe when called
concurrently for the same id:

- PostgreSQL: `INSERT ... ON CONFLICT DO NOTHING` (a new contact is written whole by this
  one statement), else `SELECT ... FOR UPDATE` of the row, merge in Python, `UPDATE`, all
  in one transaction; the row lock orders concurrent merges, so no key is lost.
- SQLite: the same statements, with writes serialized by an `asyncio.Lock` per store.
  Across processes the transaction's first statement is the `INSERT`, which takes SQLite's
  write lock, so other writers wait for it (busy timeout) instead of merging stale data.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Row, and_, delete, event, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.schema import CreateSchema

from stripe_gateway.contacts.cursor import decode_cursor, encode_cursor
from stripe_gateway.contacts.models import UNSET, Contact, ContactPage, Unset
from stripe_gateway.contacts.table import contacts, metadata
from stripe_gateway.contacts.validation import (
    lookup_id,
    merge_custom_data,
    validate_custom_data,
    validate_email,
    validate_first,
    validate_id,
    validate_name,
    validate_search,
)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./stripe-gateway.sqlite3"
DEFAULT_CUSTOM_DATA_MAX_BYTES = 32 * 1024

_GET_MANY_CHUNK = 500
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_SQLITE_BUSY_TIMEOUT_SECONDS = 15.0


def async_database_url(database_url: str) -> URL:
    """Map a database URL to its async driver: `sqlite://` to aiosqlite, `postgresql://`
    (or `postgres://`) to asyncpg. Anything else raises ValueError (password hidden)."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise ValueError("DATABASE_URL is not a database URL") from None
    backend, _, driver = url.drivername.partition("+")
    shown = url.render_as_string(hide_password=True)
    if backend == "sqlite" and driver in ("", "aiosqlite"):
        return url.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres") and driver in ("", "asyncpg"):
        return url.set(drivername="postgresql+asyncpg")
    raise ValueError(
        f"DATABASE_URL {shown!r} is not supported: use sqlite:///PATH or postgresql://..."
    )


def _is_sqlite_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # SQLite's own lower() folds ASCII only; search must fold "É" like PostgreSQL does.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    try:
        # Readers and the writer do not block each other. Persistent in the file.
        cursor.execute("PRAGMA journal_mode=WAL")
    except Exception:  # another process holds the file: keep the rollback journal
        pass
    finally:
        cursor.close()


def _to_contact(row: Row[Any]) -> Contact:
    return Contact(
        id=row.id,
        name=row.name,
        email=row.email,
        custom_data=dict(row.custom_data or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class ContactStore:
    """The contact store. Create it with `await ContactStore.open(url)`, end with `close()`."""

    def __init__(self, engine: AsyncEngine, *, custom_data_max_bytes: int) -> None:
        """Wrap an engine whose database has the table; prefer `ContactStore.open`."""
        if custom_data_max_bytes <= 0:
            raise ValueError("custom_data_max_bytes must be positive")
        self._engine = engine
        self._custom_data_max_bytes = custom_data_max_bytes
        self._is_sqlite = engine.dialect.name == "sqlite"
        self._sqlite_memory = self._is_sqlite and _is_sqlite_memory(engine.url)
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls,
        database_url: str = DEFAULT_DATABASE_URL,
        *,
        custom_data_max_bytes: int = DEFAULT_CUSTOM_DATA_MAX_BYTES,
        schema: str | None = None,
    ) -> ContactStore:
        """Connect and create the `contacts` table if it is missing.

        `database_url`: `sqlite+aiosqlite:///PATH` (or `sqlite:///PATH`; no path means an
        in-memory database for this store only) or `postgresql+asyncpg://...` (or
        `postgresql://...`). `schema` (PostgreSQL only) puts the table in that schema,
        created if missing; tests use it to isolate runs.
        """
        url = async_database_url(database_url)
        options: dict[str, Any] = {}
        if url.drivername.startswith("sqlite"):
            if schema is not None:
                raise ValueError("schema= is only supported on PostgreSQL")
            options["connect_args"] = {"timeout": _SQLITE_BUSY_TIMEOUT_SECONDS}
        else:
            server_settings = {"application_name": "stripe-gateway"}
            if schema is not None:
                if not _SCHEMA_NAME.fullmatch(schema):
                    raise ValueError("schema must be a lower-case SQL identifier")
                server_settings["search_path"] = schema
            options["connect_args"] = {"server_settings": server_settings}
            options["pool_pre_ping"] = True
        engine = create_async_engine(url, **options)
        if engine.dialect.name == "sqlite":
            event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
        try:
            async with engine.begin() as conn:
                if schema is not None:
                    await conn.execute(CreateSchema(schema, if_not_exists=True))
                await conn.run_sync(metadata.create_all)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, custom_data_max_bytes=custom_data_max_bytes)

    async def close(self) -> None:
        """Close every pooled connection. The store is unusable afterwards."""
        await self._engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def backend(self) -> str:
        """`"sqlite"` or `"postgresql"`."""
        return self._engine.dialect.name

    @asynccontextmanager
    async def _connect(self, *, write: bool) -> AsyncIterator[AsyncConnection]:
        """A connection; a transaction committed on success when `write`.

        SQLite writes are serialized per store; an in-memory SQLite database has a single
        shared connection, so its reads are serialized too.
        """
        serialize = self._is_sqlite and (write or self._sqlite_memory)
        lock: AbstractAsyncContextManager[Any] = self._write_lock if serialize else nullcontext()
        async with lock:
            if write:
                async with self._engine.begin() as conn:
                    yield conn
            else:
                async with self._engine.connect() as conn:
                    yield conn

    async def ping(self) -> None:
        """Run `SELECT 1`; raises when the database cannot be reached (for `/readyz`)."""
        async with self._connect(write=False) as conn:
            await conn.execute(text("SELECT 1"))

    async def get(self, contact_id: str) -> Contact | None:
        """The contact with this id (trimmed), or None."""
        key = lookup_id(contact_id)
        if key is None:
            return None
        async with self._connect(write=False) as conn:
            row = (await conn.execute(select(contacts).where(contacts.c.id == key))).first()
        return None if row is None else _to_contact(row)

    async def get_many(self, contact_ids: Sequence[str]) -> list[Contact | None]:
        """The contacts for these ids, in the same order (None where missing).

        One query (per 500 distinct ids), so it can back a DataLoader.
        """
        keys = [lookup_id(contact_id) for contact_id in contact_ids]
        wanted = sorted({key for key in keys if key is not None})
        found: dict[str, Contact] = {}
        if wanted:
            async with self._connect(write=False) as conn:
                for start in range(0, len(wanted), _GET_MANY_CHUNK):
                    chunk = wanted[start : start + _GET_MANY_CHUNK]
                    result = await conn.execute(select(contacts).where(contacts.c.id.in_(chunk)))
                    for row in result:
                        found[row.id] = _to_contact(row)
        return [None if key is None else found.get(key) for key in keys]

    async def list(
        self, first: int = 20, after: str | None = None, search: str | None = None
    ) -> ContactPage:
        """A page of contacts in the order they were first identified (`created_at`, id).

        `first`: 0 to 100. `after`: a cursor from an earlier page (a malformed one raises
        BadUserInput). `search`: case-insensitive substring of the name or the email;
        `%`, `_` and `\\` match themselves.
        """
        limit = validate_first(first)
        needle = validate_search(search)
        c = contacts.c
        query = select(contacts)
        if after is not None:
            created_at, contact_id = decode_cursor(after)
            query = query.where(
                or_(c.created_at > created_at, and_(c.created_at == created_at, c.id > contact_id))
            )
        if needle is not None:
            query = query.where(
                or_(
                    c.name.icontains(needle, autoescape=True),
                    c.email.icontains(needle, autoescape=True),
                )
            )
        query = query.order_by(c.created_at, c.id).limit(limit + 1)
        async with self._connect(write=False) as conn:
            rows = (await conn.execute(query)).all()
        page = [_to_contact(row) for row in rows[:limit]]
        return ContactPage(
            contacts=page,
            cursors=[encode_cursor(contact.created_at, contact.id) for contact in page],
            has_next_page=len(rows) > limit,
            has_previous_page=after is not None,
        )

    async def identify(
        self,
        contact_id: str,
        *,
        name: str | Unset | None = UNSET,
        email: str | Unset | None = UNSET,
        custom_data: dict[str, Any] | Unset | None = UNSET,
    ) -> Contact:
        """Create or update a contact, like a helpdesk SDK's `identify(userId, {...})`.

        `name` and `email` replace the stored values when given (None or blank clears them).
        `custom_data` is merged key by key into the stored object; a key set to None is
        removed; `custom_data=None` is refused (BadUserInput) rather than read as "remove
        every key". `created_at` is kept; `updated_at` moves forward on every call. Invalid
        input raises BadUserInput and stores nothing.
        """
        key = validate_id(contact_id)
        new_name = UNSET if name is UNSET else validate_name(name)
        new_email = UNSET if email is UNSET else validate_email(email)
        patch = None if custom_data is UNSET else validate_custom_data(custom_data)
        max_bytes = self._custom_data_max_bytes
        # A new contact's data is the patch itself; an existing one's only grows from it,
        # so a patch too large on its own is refused before touching the database.
        initial_data = merge_custom_data({}, patch or {}, max_bytes=max_bytes)

        async with self._connect(write=True) as conn:
            now = datetime.now(UTC)
            created: dict[str, Any] = {
                "id": key,
                "name": None if new_name is UNSET else new_name,
                "email": None if new_email is UNSET else new_email,
                "custom_data": initial_data,
                "created_at": now,
                "updated_at": now,
            }
            inserted = await conn.execute(self._insert_if_missing(created))
            if inserted.rowcount == 1:
                return Contact(
                    id=key,
                    name=created["name"],
                    email=created["email"],
                    custom_data=initial_data,
                    created_at=now,
                    updated_at=now,
                )

            locked = select(contacts).where(contacts.c.id == key).with_for_update()
            stored = _to_contact((await conn.execute(locked)).one())
            changes: dict[str, Any] = {
                # Strictly later than the stored value, even if the clock stepped back.
                "updated_at": max(now, stored.updated_at + timedelta(microseconds=1)),
            }
            if new_name is not UNSET:
                changes["name"] = new_name
            if new_email is not UNSET:
                changes["email"] = new_email
            if patch is not None:
                changes["custom_data"] = merge_custom_data(
                    stored.custom_data, patch, max_bytes=max_bytes
                )
            await conn.execute(update(contacts).where(contacts.c.id == key).values(**changes))
        return Contact(
            id=key,
            name=changes.get("name", stored.name),
            email=changes.get("email", stored.email),
            custom_data=changes.get("custom_data", stored.custom_data),
            created_at=stored.created_at,
            updated_at=changes["updated_at"],
        )

    def _insert_if_missing(self, values: dict[str, Any]) -> Any:
        if self._is_sqlite:
            return sqlite_insert(contacts).values(**values).on_conflict_do_nothing()
        return pg_insert(contacts).values(**values).on_conflict_do_nothing()

    async def delete(self, contact_id: str) -> bool:
        """Delete the contact; True when it existed."""
        key = lookup_id(contact_id)
        if key is None:
            return False
        async with self._connect(write=True) as conn:
            result = await conn.execute(delete(contacts).where(contacts.c.id == key))
        return result.rowcount > 0
