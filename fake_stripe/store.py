"""The fake's state: Stripe objects by kind, with insertion order and insertion time.

Objects are normalized on the way in (see `shapes`), so what is stored already has
Stripe's keys; subscription items keep their price as an id or an object and are
rendered on the way out (see `render`). Every insertion (load or upsert) stamps a
monotonic time that search lag is measured from. A lock makes the store safe to mutate
from a test thread while uvicorn serves from another.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_stripe import shapes

KINDS = ("customer", "charge", "subscription", "product", "price")
# Data-file keys, in the order they are loaded (referenced objects first).
DATA_KEYS = {
    "products": "product",
    "prices": "price",
    "customers": "customer",
    "subscriptions": "subscription",
    "charges": "charge",
}


class DataError(ValueError):
    """A data file or object the fake cannot load."""


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored object, its insertion sequence number and monotonic insertion time."""

    obj: dict[str, Any]
    seq: int
    inserted_at: float

    @property
    def sort_key(self) -> tuple[int, int]:
        """Newest first sorts by this, descending: `created`, then insertion order."""
        created = self.obj.get("created")
        return (created if isinstance(created, int) else 0, self.seq)


def read_data(data: Mapping[str, Any] | str | Path) -> Mapping[str, Any]:
    """A data mapping from a mapping, a JSON file path, or JSON text (a str starting with `{`)."""
    if isinstance(data, Mapping):
        return data
    try:
        if isinstance(data, str) and data.lstrip().startswith("{"):
            loaded = json.loads(data)
        else:
            loaded = json.loads(Path(data).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"cannot read data file {data}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise DataError(f"data is not valid JSON: {exc}") from exc
    if not isinstance(loaded, dict):
        raise DataError('data must be a JSON object like {"customers": [...], ...}')
    return loaded


class Store:
    """Stripe objects by kind and id."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._seq = itertools.count()
        self._objects: dict[str, dict[str, Entry]] = {kind: {} for kind in KINDS}

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | str | Path) -> Store:
        """A store loaded from a data mapping or file (see the package docstring)."""
        store = cls()
        store.load(data)
        return store

    def load(self, data: Mapping[str, Any] | str | Path) -> None:
        """Insert every object of a data mapping or file. Unknown top-level keys are ignored."""
        mapping = read_data(data)
        for key, kind in DATA_KEYS.items():
            entries = mapping.get(key) or []
            if not isinstance(entries, list):
                raise DataError(f"data key {key!r} must be a list of Stripe objects")
            for index, raw in enumerate(entries):
                if not isinstance(raw, dict):
                    raise DataError(f"{key}[{index}] must be a JSON object")
                obj = dict(raw)
                obj.setdefault("id", f"{_PREFIX[kind]}_fake{index:04d}")
                obj["object"] = kind
                self.upsert(obj)

    def upsert(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Insert or replace one Stripe object (with `object` and `id`); return it as stored.

        Embedded objects are stored too: a customer's `subscriptions`, a subscription
        item's expanded `price`, a price's expanded `product`. Replacing keeps the object's
        place in list order but counts as a fresh insertion for search lag.
        """
        kind = obj.get("object")
        object_id = obj.get("id")
        if kind not in KINDS:
            raise DataError(f"object must be one of {', '.join(KINDS)}, not {kind!r}")
        if not isinstance(object_id, str) or not object_id:
            raise DataError(f"{kind} needs a non-empty string id")
        now = int(time.time())
        with self._lock:
            stored = shapes.NORMALIZERS[kind](dict(obj), now)
            self._put(kind, stored)
            self._store_embedded(kind, obj, stored, now)
            return stored

    def _put(self, kind: str, stored: dict[str, Any]) -> None:
        old = self._objects[kind].get(stored["id"])
        seq = old.seq if old is not None else next(self._seq)
        self._objects[kind][stored["id"]] = Entry(stored, seq, self._clock())

    def _store_embedded(
        self, kind: str, given: Mapping[str, Any], stored: dict[str, Any], now: int
    ) -> None:
        if kind == "customer" and not stored.get("deleted"):
            subs = given.get("subscriptions") or []
            if isinstance(subs, dict):
                subs = subs.get("data", [])
            for sub in subs:
                self.upsert({**sub, "object": "subscription", "customer": stored["id"]})
        if kind == "price" and isinstance(given.get("product"), dict):
            self.upsert({**given["product"], "object": "product"})
        if kind == "subscription":
            for item in stored["items"]:
                price = item.get("price")
                if (
                    isinstance(price, dict)
                    and price.get("id")
                    and not self.get("price", price["id"])
                ):
                    self.upsert({**price, "object": "price"})

    def delete(self, kind: str, object_id: str) -> bool:
        """Forget an object entirely (it answers 404 afterwards); True if it existed."""
        with self._lock:
            return self._objects[kind].pop(object_id, None) is not None

    def get(self, kind: str, object_id: str) -> dict[str, Any] | None:
        """The stored object, or None."""
        with self._lock:
            entry = self._objects[kind].get(object_id)
        return entry.obj if entry is not None else None

    def entry(self, kind: str, object_id: str) -> Entry | None:
        """The stored entry (object, sequence, insertion time), or None."""
        with self._lock:
            return self._objects[kind].get(object_id)

    def entries(self, kind: str) -> list[Entry]:
        """Every entry of a kind, newest first."""
        with self._lock:
            items = list(self._objects[kind].values())
        return sorted(items, key=lambda e: e.sort_key, reverse=True)

    def all(self, kind: str) -> list[dict[str, Any]]:
        """Every object of a kind, newest first."""
        return [entry.obj for entry in self.entries(kind)]

    def select(self, kind: str, where: Callable[[Entry], bool]) -> list[Entry]:
        """The entries of a kind for which `where` holds, newest first (filtered before
        sorting, so a search over many objects stays fast)."""
        with self._lock:
            items = list(self._objects[kind].values())
        return sorted(filter(where, items), key=lambda e: e.sort_key, reverse=True)

    def searchable(
        self,
        kind: str,
        lag_seconds: float,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[Entry]:
        """Entries inserted at least `lag_seconds` ago (and, if given, `where` their object),
        newest first: what search can see."""
        if lag_seconds > 0:
            now = self._clock()
            return self.select(
                kind,
                lambda e: now - e.inserted_at >= lag_seconds and (where is None or where(e.obj)),
            )
        return self.select(kind, lambda e: where is None or where(e.obj))

    def counts(self) -> dict[str, int]:
        """How many objects of each kind are stored."""
        with self._lock:
            return {kind: len(objects) for kind, objects in self._objects.items()}


_PREFIX = {"customer": "cus", "charge": "ch", "subscription": "sub", "product": "prod"}
_PREFIX["price"] = "price"
