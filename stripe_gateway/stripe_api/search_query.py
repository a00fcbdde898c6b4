"""Build Stripe Search queries. Every value is quoted and escaped here, nowhere else.

Stripe's search language takes `field:"value"` (exact) and `field~"value"` (substring),
joined by `OR` or `AND` (never mixed), at most 10 clauses. Inside double quotes a
backslash escapes `"` and `\\`, so no value can close its quotes and add clauses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

MAX_CLAUSES = 10
MAX_QUERY_LENGTH = 5000
MIN_SUBSTRING_LENGTH = 3

T = TypeVar("T")


def quote(value: str) -> str:
    """Quote a value for the search language: `o"brien` becomes `"o\\"brien"`."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def exact(field: str, value: str) -> str:
    """An exact-match clause, `field:"value"`."""
    return f"{field}:{quote(value)}"


def substring(field: str, value: str) -> str:
    """A substring clause, `field~"value"`; Stripe needs at least 3 characters."""
    if len(value) < MIN_SUBSTRING_LENGTH:
        raise ValueError(f"substring search needs {MIN_SUBSTRING_LENGTH}+ characters")
    return f"{field}~{quote(value)}"


def any_of(clauses: Sequence[str]) -> str:
    """Join clauses with OR; at most MAX_CLAUSES of them and MAX_QUERY_LENGTH characters."""
    if not 1 <= len(clauses) <= MAX_CLAUSES:
        raise ValueError(f"a search takes 1 to {MAX_CLAUSES} clauses, not {len(clauses)}")
    query = " OR ".join(clauses)
    if len(query) > MAX_QUERY_LENGTH:
        raise ValueError("search query too long")
    return query


def chunks(items: Iterable[T], size: int = MAX_CLAUSES) -> Iterator[list[T]]:
    """Split items into lists of at most `size`, keeping their order."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
