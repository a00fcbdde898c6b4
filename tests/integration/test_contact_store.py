"""The contact store against real databases: a SQLite file and PostgreSQL.

Every test runs on both (`store` is parametrized). Isolation: SQLite gets a new file under
`tmp_path`; PostgreSQL gets a new schema per test (`contacts_test_<random>`, passed to
`ContactStore.open(schema=...)`, dropped with CASCADE afterwards), so tests and concurrent
runs on the shared `test` database never see each other's `contacts` table.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from stripe_gateway.contacts import (
    UNSET,
    Contact,
    ContactStore,
    async_database_url,
)
from stripe_gateway.contacts.validation import merge_custom_data
from stripe_gateway.errors import BadUserInput


@dataclass
class Database:
    """Where a test's store lives; `open()` can be called again to reopen it."""

    url: str
    schema: str | None = None

    async def open(self, **options: Any) -> ContactStore:
        return await ContactStore.open(self.url, schema=self.schema, **options)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        yield Database(f"sqlite+aiosqlite:///{tmp_path / 'contacts.sqlite3'}")
        return
    postgres_url: str = request.getfixturevalue("postgres_url")
    schema = f"contacts_test_{uuid.uuid4().hex[:16]}"
    yield Database(postgres_url, schema)
    engine = create_async_engine(postgres_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await engine.dispose()


@pytest.fixture
async def store(database: Database) -> AsyncIterator[ContactStore]:
    contact_store = await database.open()
    try:
        yield contact_store
    finally:
        await contact_store.close()


def ids(contacts: list[Contact]) -> list[str]:
    return [contact.id for contact in contacts]


# --- identify -------------------------------------------------------------------------


async def test_identify_creates_then_updates(store: ContactStore) -> None:
    created = await store.identify(
        "19283", name="Ada Lovelace", email="ada@acme.com", custom_data={"plan": "pro"}
    )
    assert created.id == "19283"
    assert (created.name, created.email, created.custom_data) == (
        "Ada Lovelace",
        "ada@acme.com",
        {"plan": "pro"},
    )
    assert created.created_at == created.updated_at
    assert await store.get("19283") == created

    updated = await store.identify("19283", name="Ada King")
    assert (updated.name, updated.email, updated.custom_data) == (
        "Ada King",
        "ada@acme.com",
        {"plan": "pro"},
    )
    assert await store.get("19283") == updated


async def test_identify_with_only_an_id_creates_an_empty_contact(store: ContactStore) -> None:
    contact = await store.identify("  42  ")
    assert (contact.id, contact.name, contact.email, contact.custom_data) == ("42", None, None, {})
    assert await store.get("42") == contact
    assert await store.get(" 42 ") == contact


async def test_name_and_email_are_replaced_when_given_kept_when_unset(
    store: ContactStore,
) -> None:
    await store.identify("c1", name="Ada", email="ada@acme.com")
    kept = await store.identify("c1", name=UNSET, email=UNSET, custom_data={"a": 1})
    assert (kept.name, kept.email) == ("Ada", "ada@acme.com")
    replaced = await store.identify("c1", email="  Ada.King@Acme.com ")
    assert (replaced.name, replaced.email) == ("Ada", "Ada.King@Acme.com")
    cleared = await store.identify("c1", name=None, email="")
    assert (cleared.name, cleared.email) == (None, None)
    stored = await store.get("c1")
    assert stored is not None
    assert (stored.name, stored.email, stored.custom_data) == (None, None, {"a": 1})


async def test_custom_data_is_merged_key_by_key_and_null_removes(store: ContactStore) -> None:
    await store.identify("c1", custom_data={"plan": "free", "seats": 1, "meta": {"x": 1}})
    merged = await store.identify(
        "c1", custom_data={"plan": "pro", "seats": None, "stripeCustomerId": "cus_1"}
    )
    expected = {"plan": "pro", "meta": {"x": 1}, "stripeCustomerId": "cus_1"}
    assert merged.custom_data == expected
    stored = await store.get("c1")
    assert stored is not None
    assert stored.custom_data == expected
    # Nested objects are replaced whole (the merge is shallow); unknown null keys are no-ops.
    again = await store.identify("c1", custom_data={"meta": {"y": 2}, "never": None})
    assert again.custom_data == {"plan": "pro", "meta": {"y": 2}, "stripeCustomerId": "cus_1"}


async def test_custom_data_round_trips_json_values(store: ContactStore) -> None:
    data = {
        "text": 'o\'brien "quoted" \\ é 🎉',
        "int": 2**53 + 1,
        "float": 0.1,
        "neg": -3,
        "bool": False,
        "list": [1, "two", None, {"three": [3]}],
        "empty": {},
    }
    await store.identify("c1", custom_data=data)
    stored = await store.get("c1")
    assert stored is not None
    assert stored.custom_data == data


async def test_created_at_kept_and_updated_at_bumped(store: ContactStore) -> None:
    first = await store.identify("c1", name="Ada")
    second = await store.identify("c1", name="Ada")
    third = await store.identify("c1", custom_data={"a": 1})
    assert first.created_at == second.created_at == third.created_at
    assert first.updated_at < second.updated_at < third.updated_at
    stored = await store.get("c1")
    assert stored is not None
    assert stored.created_at == first.created_at
    assert stored.updated_at == third.updated_at


async def test_datetimes_are_utc_aware(store: ContactStore) -> None:
    await store.identify("c1")
    stored = await store.get("c1")
    assert stored is not None
    for moment in (stored.created_at, stored.updated_at):
        assert moment.tzinfo is not None
        assert moment.utcoffset() == timedelta(0)
    page = await store.list(first=1)
    assert page.contacts[0].created_at.tzinfo is not None


BAD_UPDATES: list[tuple[str, dict[str, Any]]] = [
    ("email-injection", {"email": "x' OR email~'a"}),
    ("email-two-at", {"email": "a@b@c"}),
    ("email-crlf", {"email": "ada@acme.com\r\nBcc: eve@evil.com"}),
    ("email-nul", {"email": "ada\x00@acme.com"}),
    ("name-too-long", {"name": "n" * 257}),
    ("name-control", {"name": "Ada\x1b"}),
    ("custom-too-big", {"custom_data": {"blob": "x" * 40_000}}),
    ("custom-too-deep", {"custom_data": {"a": [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}}),
    ("custom-not-object", {"custom_data": ["plan", "pro"]}),
    ("custom-null", {"custom_data": None}),
    ("custom-nan", {"custom_data": {"ratio": math.nan}}),
    ("custom-nul", {"custom_data": {"a": "\x00"}}),
    ("mixed-valid-and-invalid", {"name": "Eve", "email": "not an email"}),
]


@pytest.mark.parametrize("changes", [c for _, c in BAD_UPDATES], ids=[i for i, _ in BAD_UPDATES])
async def test_rejected_input_leaves_the_stored_contact_unchanged(
    store: ContactStore, changes: dict[str, Any]
) -> None:
    before = await store.identify(
        "c1", name="Ada", email="ada@acme.com", custom_data={"plan": "pro"}
    )
    with pytest.raises(BadUserInput):
        await store.identify("c1", **changes)
    assert await store.get("c1") == before


async def test_merged_custom_data_over_the_limit_is_rejected(database: Database) -> None:
    small = await database.open(custom_data_max_bytes=100)
    try:
        before = await small.identify("c1", custom_data={"a": "x" * 60})
        with pytest.raises(BadUserInput, match=r"customData: is too large"):
            await small.identify("c1", custom_data={"b": "y" * 40})
        assert await small.get("c1") == before
        # Removing a key in the same call makes room.
        after = await small.identify("c1", custom_data={"a": None, "b": "y" * 40})
        assert after.custom_data == {"b": "y" * 40}
    finally:
        await small.close()


@pytest.mark.parametrize("bad_id", ["", "   ", "x" * 256, "a\nb", "a\x00b"])
async def test_bad_id_is_rejected_and_nothing_stored(store: ContactStore, bad_id: str) -> None:
    with pytest.raises(BadUserInput, match=r"^id: "):
        await store.identify(bad_id, name="Ada")
    assert (await store.list(first=10)).contacts == []
    assert await store.get(bad_id) is None
    assert await store.delete(bad_id) is False


async def test_rejected_new_contact_stores_nothing(store: ContactStore) -> None:
    with pytest.raises(BadUserInput):
        await store.identify("new", name="Ada", custom_data={"blob": "x" * 40_000})
    with pytest.raises(BadUserInput):
        await store.identify("new", name="Ada", email="a@b@c")
    assert await store.get("new") is None


async def test_failure_inside_the_transaction_rolls_back(
    store: ContactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await store.identify("c1", name="Ada", custom_data={"plan": "pro"})

    def merge_then_fail(stored: dict[str, Any], patch: dict[str, Any], **kw: Any) -> Any:
        if stored:  # the merge with the locked row, after the INSERT ran
            raise RuntimeError("boom")
        return merge_custom_data(stored, patch, **kw)

    monkeypatch.setattr("stripe_gateway.contacts.store.merge_custom_data", merge_then_fail)
    with pytest.raises(RuntimeError, match="boom"):
        await store.identify("c1", name="Eve", custom_data={"plan": "free"})
    monkeypatch.undo()
    assert await store.get("c1") == before
    # The lock and the connection were released: the next write goes through.
    after = await store.identify("c1", name="Eve")
    assert after.name == "Eve"


# --- get_many ---------------------------------------------------------------------------


async def test_get_many_returns_results_in_key_order(store: ContactStore) -> None:
    a = await store.identify("a", name="A")
    b = await store.identify("b", name="B")
    result = await store.get_many(["b", "missing", "a", "b", "", " a ", "x" * 300])
    assert result == [b, None, a, b, None, a, None]
    assert await store.get_many([]) == []


async def test_get_many_beyond_one_chunk(store: ContactStore) -> None:
    for i in range(3):
        await store.identify(f"id-{i}")
    keys = [f"id-{i % 700}" for i in range(1200)]
    result = await store.get_many(keys)
    assert len(result) == 1200
    assert [c.id if c else None for c in result[:4]] == ["id-0", "id-1", "id-2", None]


# --- list ---------------------------------------------------------------------------------


async def identify_all(store: ContactStore, rows: list[tuple[str, str | None, str | None]]) -> None:
    for contact_id, name, email in rows:
        await store.identify(contact_id, name=name, email=email)


async def test_list_pages_in_creation_order(store: ContactStore) -> None:
    created = [f"c{n}" for n in (5, 3, 9, 1, 7, 2, 8)]
    for contact_id in created:
        await store.identify(contact_id)
    await store.identify("c5", name="updated later")  # order is by creation, not update

    seen: list[str] = []
    after = None
    pages = []
    while True:
        page = await store.list(first=3, after=after)
        pages.append(len(page.contacts))
        seen += ids(page.contacts)
        assert page.has_previous_page is (after is not None)
        assert page.start_cursor == (page.cursors[0] if page.cursors else None)
        assert [cursor for cursor, _ in page.edges] == page.cursors
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert pages == [3, 3, 1]
    assert seen == created


async def test_list_page_that_ends_exactly_has_no_next_page(store: ContactStore) -> None:
    for contact_id in ("a", "b"):
        await store.identify(contact_id)
    page = await store.list(first=2)
    assert ids(page.contacts) == ["a", "b"]
    assert page.has_next_page is False
    empty = await store.list(first=2, after=page.end_cursor)
    assert empty.contacts == []
    assert empty.end_cursor is None
    assert empty.has_next_page is False


async def test_list_first_zero_and_bounds(store: ContactStore) -> None:
    await store.identify("a")
    page = await store.list(first=0)
    assert page.contacts == []
    assert page.has_next_page is True
    for bad in (-1, 101):
        with pytest.raises(BadUserInput, match=r"^first: "):
            await store.list(first=bad)


async def test_list_cursor_survives_deletion_of_its_contact(store: ContactStore) -> None:
    for contact_id in ("a", "b", "c"):
        await store.identify(contact_id)
    page = await store.list(first=2)
    assert await store.delete("b")
    rest = await store.list(first=10, after=page.end_cursor)
    assert ids(rest.contacts) == ["c"]


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "!!!", "W10", "WyJub3QgYSBkYXRlIiwiYSJd", "eyJhIjoxfQ", ""],
)
async def test_list_malformed_cursor_is_bad_user_input(store: ContactStore, cursor: str) -> None:
    with pytest.raises(BadUserInput, match=r"^after: "):
        await store.list(first=5, after=cursor)


async def test_list_search_is_case_insensitive_over_name_or_email(store: ContactStore) -> None:
    await identify_all(
        store,
        [
            ("1", "Ada Lovelace", "ada@acme.com"),
            ("2", "Grace Hopper", "grace@navy.mil"),
            ("3", None, "ADA.king@example.org"),
            ("4", "Élodie Dupont", None),
            ("5", None, None),
        ],
    )
    assert ids((await store.list(first=10, search="ada")).contacts) == ["1", "3"]
    assert ids((await store.list(first=10, search="NAVY.MIL")).contacts) == ["2"]
    assert ids((await store.list(first=10, search="lovelace")).contacts) == ["1"]
    assert ids((await store.list(first=10, search="éLOD")).contacts) == ["4"]
    assert ids((await store.list(first=10, search="  ")).contacts) == ["1", "2", "3", "4", "5"]
    assert (await store.list(first=10, search="nobody")).contacts == []


async def test_list_search_wildcards_match_literally(store: ContactStore) -> None:
    await identify_all(
        store,
        [
            ("pct", "50% off", None),
            ("num", "5000 off", None),
            ("und", "a_b", None),
            ("axb", "axb", None),
            ("bsl", "back\\slash", None),
            ("nob", "backslash", None),
            ("sla", "for/ward", None),
            ("quo", "o'brien", "o'brien@acme.com"),
        ],
    )

    async def found(search: str) -> list[str]:
        return ids((await store.list(first=20, search=search)).contacts)

    assert await found("%") == ["pct"]
    assert await found("50%") == ["pct"]
    assert await found("_") == ["und"]
    assert await found("a_b") == ["und"]
    assert await found("\\") == ["bsl"]
    assert await found("k\\s") == ["bsl"]
    assert await found("/") == ["sla"]
    assert await found("'") == ["quo"]
    assert await found("x' OR email~'a") == []


async def test_list_search_paginates(store: ContactStore) -> None:
    for n in range(7):
        await store.identify(f"c{n}", email=f"{'team' if n % 2 else 'solo'}{n}@acme.com")
    seen: list[str] = []
    after = None
    while True:
        page = await store.list(first=2, after=after, search="TEAM")
        seen += ids(page.contacts)
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert seen == ["c1", "c3", "c5"]


# --- delete, ping, persistence -------------------------------------------------------------


async def test_delete_true_then_false(store: ContactStore) -> None:
    await store.identify("c1", name="Ada")
    assert await store.delete(" c1 ") is True
    assert await store.get("c1") is None
    assert await store.delete("c1") is False
    assert await store.delete("never") is False
    recreated = await store.identify("c1")
    assert recreated.name is None


async def test_ping(store: ContactStore) -> None:
    await store.ping()


async def test_data_persists_after_close_and_reopen(database: Database) -> None:
    first = await database.open()
    stored = await first.identify("c1", name="Ada", email="ada@acme.com", custom_data={"a": 1})
    await first.close()
    second = await database.open()  # the table exists already: create_all is a no-op
    try:
        assert await second.get("c1") == stored
        assert ids((await second.list(first=5)).contacts) == ["c1"]
    finally:
        await second.close()


# --- concurrency ---------------------------------------------------------------------------


async def test_concurrent_identifies_on_a_new_id_keep_every_key(store: ContactStore) -> None:
    results = await asyncio.gather(
        *(store.identify("hot", custom_data={f"k{i}": i}) for i in range(20))
    )
    assert {r.created_at for r in results} == {results[0].created_at}
    stored = await store.get("hot")
    assert stored is not None
    assert stored.custom_data == {f"k{i}": i for i in range(20)}
    assert ids((await store.list(first=50)).contacts) == ["hot"]


async def test_concurrent_identifies_on_an_existing_id_keep_every_key(
    store: ContactStore,
) -> None:
    await store.identify("hot", custom_data={"base": True, "drop": 1})
    await asyncio.gather(
        *(store.identify("hot", name=f"n{i}", custom_data={f"k{i}": i}) for i in range(20)),
        store.identify("hot", custom_data={"drop": None}),
    )
    stored = await store.get("hot")
    assert stored is not None
    assert stored.custom_data == {"base": True, **{f"k{i}": i for i in range(20)}}
    assert stored.name in {f"n{i}" for i in range(20)}


async def test_two_stores_on_one_database_do_not_lose_keys(database: Database) -> None:
    """Two stores (as two processes would) share no lock: the database must serialize."""
    one, two = await database.open(), await database.open()
    try:
        await asyncio.gather(
            *((one if i % 2 else two).identify("hot", custom_data={f"k{i}": i}) for i in range(20))
        )
        stored = await one.get("hot")
        assert stored is not None
        assert stored.custom_data == {f"k{i}": i for i in range(20)}
    finally:
        await one.close()
        await two.close()


# --- opening -------------------------------------------------------------------------------


def test_database_urls_map_to_async_drivers() -> None:
    assert str(async_database_url("sqlite:///./x.sqlite3")) == "sqlite+aiosqlite:///./x.sqlite3"
    assert str(async_database_url("postgresql://u@h:5432/db")) == "postgresql+asyncpg://u@h:5432/db"
    assert str(async_database_url("postgres://u@h/db")) == "postgresql+asyncpg://u@h/db"
    assert str(async_database_url("postgresql+asyncpg://u@h/db")) == "postgresql+asyncpg://u@h/db"


@pytest.mark.parametrize(
    "url", ["mysql://u:hunter2@h/db", "postgresql+psycopg2://u:hunter2@h/db", "not a url"]
)
def test_unsupported_database_url_is_refused_without_the_password(url: str) -> None:
    with pytest.raises(ValueError, match="DATABASE_URL") as info:
        async_database_url(url)
    assert "hunter2" not in str(info.value)


async def test_plain_sqlite_url_and_in_memory_database(tmp_path: Path) -> None:
    on_file = await ContactStore.open(f"sqlite:///{tmp_path / 'plain.sqlite3'}")
    try:
        assert on_file.backend == "sqlite"
        await on_file.identify("a")
    finally:
        await on_file.close()
    assert (tmp_path / "plain.sqlite3").exists()

    async with await ContactStore.open("sqlite+aiosqlite://") as in_memory:
        await asyncio.gather(*(in_memory.identify("a", custom_data={f"k{i}": i}) for i in range(5)))
        stored, page = await asyncio.gather(in_memory.get("a"), in_memory.list(first=5))
        assert stored is not None
        assert len(stored.custom_data) == 5
        assert ids(page.contacts) == ["a"]


async def test_schema_option_is_postgresql_only(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="schema"):
        await ContactStore.open(f"sqlite:///{tmp_path / 'x.sqlite3'}", schema="other")


@pytest.mark.postgres
async def test_plain_postgresql_url_is_accepted(postgres_url: str) -> None:
    plain = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    schema = f"contacts_test_{uuid.uuid4().hex[:16]}"
    contact_store = await ContactStore.open(plain, schema=schema)
    try:
        assert contact_store.backend == "postgresql"
        await contact_store.ping()
        contact = await contact_store.identify("a", email="ada@acme.com")
        assert contact.created_at.tzinfo == UTC
    finally:
        await contact_store.close()
        engine = create_async_engine(postgres_url)
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()
