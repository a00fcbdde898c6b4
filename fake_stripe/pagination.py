"""Stripe's two kinds of pages: cursor lists and search results.

Lists page with `starting_after` / `ending_before` (object ids, newest first) and answer
`{"object": "list", "data", "has_more", "url"}`. Search pages with an opaque `page`
token taken from the previous answer's `next_page` and answers
`{"object": "search_result", "data", "has_more", "next_page", "url"}`, plus
`total_count` when `expand[]=total_count` asks for it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from fake_stripe.errors import StripeError, invalid_param, resource_missing
from fake_stripe.params import Params
from fake_stripe.store import Entry, Store


def list_envelope(data: list[dict[str, Any]], has_more: bool, url: str) -> dict[str, Any]:
    """Stripe's list object."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def cursor_page(
    store: Store, kind: str, entries: list[Entry], params: Params
) -> tuple[list[Entry], bool]:
    """One page of `entries` (newest first) after `starting_after` or before `ending_before`.

    A cursor is placed by the cursor object's position among all objects of its kind, so
    it works even when the cursor object does not match the list's filters.
    """
    limit = params.limit()
    after = params.get("starting_after") or None
    before = params.get("ending_before") or None
    if after and before:
        raise StripeError(
            400,
            "You may only specify one of these parameters: ending_before, starting_after.",
        )
    if after is not None:
        cursor = _cursor(store, kind, after, "starting_after")
        rest = [e for e in entries if e.sort_key < cursor.sort_key]
        return rest[:limit], len(rest) > limit
    if before is not None:
        cursor = _cursor(store, kind, before, "ending_before")
        prior = [e for e in entries if e.sort_key > cursor.sort_key]
        return prior[-limit:], len(prior) > limit
    return entries[:limit], len(entries) > limit


def _cursor(store: Store, kind: str, object_id: str, param: str) -> Entry:
    entry = store.entry(kind, object_id)
    if entry is None:
        raise resource_missing(kind, object_id, param)
    return entry


def _fingerprint(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()[:12]


def page_token(query: str, offset: int) -> str:
    """An opaque `next_page` token for the result at `offset` of `query`."""
    raw = json.dumps({"q": _fingerprint(query), "o": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def page_offset(query: str, token: str | None) -> int:
    """The offset a `page` token stands for; Stripe's 400 for a token of another query."""
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        decoded = json.loads(raw)
        offset = decoded["o"]
        if decoded["q"] != _fingerprint(query) or not isinstance(offset, int) or offset < 0:
            raise ValueError(token)
    except (ValueError, KeyError, TypeError):
        raise invalid_param(
            "Invalid page token. Pass the `next_page` value of a previous search with the "
            "same query.",
            "page",
        ) from None
    return offset


def search_page(
    entries: list[Entry], params: Params, query: str
) -> tuple[list[Entry], bool, str | None]:
    """One page of search results: the entries, `has_more`, and the `next_page` token."""
    limit = params.limit()
    offset = page_offset(query, params.get("page"))
    page = entries[offset : offset + limit]
    has_more = len(entries) > offset + limit
    return page, has_more, page_token(query, offset + limit) if has_more else None


def search_envelope(
    data: list[dict[str, Any]],
    has_more: bool,
    next_page: str | None,
    url: str,
    total_count: int | None = None,
) -> dict[str, Any]:
    """Stripe's search_result object (`total_count` only when it was asked for)."""
    envelope: dict[str, Any] = {
        "object": "search_result",
        "data": data,
        "has_more": has_more,
        "next_page": next_page,
        "url": url,
    }
    if total_count is not None:
        envelope["total_count"] = total_count
    return envelope
