"""aiocache backends from a URL: a bounded in-process memory cache, or Redis.

Values reach the backend as JSON text (see `codec`), never pickled: the memory backend
stores the text as is, Redis gets it through aiocache's `StringSerializer`.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

from aiocache import RedisCache, SimpleMemoryCache
from aiocache.base import BaseCache
from aiocache.serializers import StringSerializer

# Cache operations that take longer than this count as failures (the gateway then asks
# Stripe instead of waiting on a stuck cache).
OPERATION_TIMEOUT_SECONDS = 2.0


class BoundedMemoryCache(SimpleMemoryCache):  # type: ignore[misc]
    """aiocache's SimpleMemoryCache holding at most `max_entries` keys.

    aiocache's memory backend has no bound. Here a new key beyond the bound evicts the
    oldest ones (insertion order), with their expiry timers. An OrderedDict, because
    taking the first key of a plain dict that has had many first keys removed is slow.
    """

    _cache: OrderedDict[str, Any]
    _handlers: dict[str, asyncio.TimerHandle]

    def __init__(self, max_entries: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_entries = max_entries
        self._cache = OrderedDict()

    async def _set(
        self, key: str, value: Any, ttl: Any = None, _cas_token: Any = None, _conn: Any = None
    ) -> Any:
        entries = self._cache
        if key not in entries:
            while len(entries) >= self.max_entries:
                evicted, _ = entries.popitem(last=False)
                handle = self._handlers.pop(evicted, None)
                if handle is not None:
                    handle.cancel()
        return await super()._set(key, value, ttl=ttl, _cas_token=_cas_token, _conn=_conn)

    async def _clear(self, namespace: str | None = None, _conn: Any = None) -> bool:
        for handle in self._handlers.values():
            handle.cancel()
        self._cache = OrderedDict()
        self._handlers = {}
        return True

    def __len__(self) -> int:
        return len(self._cache)


def is_disabled(url: str) -> bool:
    """`none://` (or an empty URL) switches the cache off."""
    return not url or url.startswith("none:")


def _key(key: str, namespace: str | None = None) -> str:
    return f"{namespace}:{key}" if namespace else key


def open_backend(url: str, *, max_entries: int, namespace: str) -> BaseCache | None:
    """The aiocache backend for `url`, or None when caching is off. Keys are
    `<namespace>:<key>` in both."""
    if is_disabled(url):
        return None
    parts = urlsplit(url)
    if parts.scheme == "memory":
        # No I/O to time out, and no task per operation for `asyncio.wait_for`.
        return BoundedMemoryCache(max_entries, namespace=namespace, key_builder=_key, timeout=None)
    if parts.scheme in ("redis", "rediss"):
        db = (parts.path or "/0").strip("/").split("/")[0] or "0"
        return RedisCache(
            serializer=StringSerializer(),
            endpoint=parts.hostname or "127.0.0.1",
            port=parts.port or 6379,
            db=int(db),
            password=parts.password,
            ssl=parts.scheme == "rediss",
            namespace=namespace,
            key_builder=_key,
            timeout=OPERATION_TIMEOUT_SECONDS,
        )
    raise ValueError(f"unsupported cache URL scheme {parts.scheme!r}")
