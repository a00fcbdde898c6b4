"""The three shapes of Stripe read endpoint: retrieve, list, search.

Each takes the resource's kind and the filters the resource module decided on, and
answers Stripe's object, list or search_result with `expand[]` applied. Deleted
customers are never listed or found; retrieving one answers the deleted stub.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from fake_stripe import render
from fake_stripe.config import FakeConfig
from fake_stripe.errors import resource_missing
from fake_stripe.expand import cannot_expand, expand
from fake_stripe.pagination import cursor_page, list_envelope, search_envelope, search_page
from fake_stripe.params import Params
from fake_stripe.search_query import Field, check, parse
from fake_stripe.search_query import predicate as search_predicate
from fake_stripe.store import Entry, Store

Predicate = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True, slots=True)
class Resource:
    """A Stripe resource the fake serves: its kind, URL name, and search fields."""

    kind: str
    plural: str
    search_fields: Mapping[str, Field]

    @property
    def url(self) -> str:
        """The list URL, `/v1/customers`."""
        return f"/v1/{self.plural}"


def _context(request: Request) -> tuple[Store, Params]:
    return request.app.state.store, Params(request.url.query)


def _live(entry: Entry) -> bool:
    return not entry.obj.get("deleted")


def _served(store: Store, entries: list[Entry], expands: list[str]) -> list[dict[str, Any]]:
    """Rendered objects with list-level expansions (`data.x`) applied to each."""
    out = [render.render(store, entry.obj) for entry in entries]
    for path in expands:
        if path == "total_count":
            continue
        if not path.startswith("data."):
            raise cannot_expand(path)
        for obj in out:
            expand(store, obj, path.removeprefix("data."))
    return out


def retrieve(request: Request, resource: Resource) -> JSONResponse:
    """`GET /v1/<plural>/{id}`: the object, the deleted stub, or 404 `resource_missing`."""
    store, params = _context(request)
    object_id = request.path_params["id"]
    obj = store.get(resource.kind, object_id)
    if obj is None:
        raise resource_missing(resource.kind, object_id)
    if obj.get("deleted"):
        return JSONResponse(render.deleted_stub(object_id))
    out = render.render(store, obj)
    for path in params.expand():
        expand(store, out, path)
    return JSONResponse(out)


def list_objects(request: Request, resource: Resource, predicate: Predicate) -> JSONResponse:
    """`GET /v1/<plural>`: objects matching `predicate`, newest first, cursor-paged."""
    store, params = _context(request)
    expands = params.expand()
    if "total_count" in expands:
        raise cannot_expand("total_count")
    entries = store.select(resource.kind, lambda e: _live(e) and predicate(e.obj))
    page, has_more = cursor_page(store, resource.kind, entries, params)
    return JSONResponse(list_envelope(_served(store, page, expands), has_more, resource.url))


def search(request: Request, resource: Resource) -> JSONResponse:
    """`GET /v1/<plural>/search`: objects old enough to be indexed that match `query`."""
    store, params = _context(request)
    config: FakeConfig = request.app.state.config
    text = params.required("query")
    query = parse(text)
    check(query, resource.search_fields, resource.plural)
    expands = params.expand()
    hit = search_predicate(query, resource.search_fields)
    hits = store.searchable(
        resource.kind, config.search_lag_seconds, lambda obj: not obj.get("deleted") and hit(obj)
    )
    page, has_more, next_page = search_page(hits, params, text)
    total = len(hits) if "total_count" in expands else None
    data = _served(store, page, expands)
    return JSONResponse(search_envelope(data, has_more, next_page, f"{resource.url}/search", total))
