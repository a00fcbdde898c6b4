"""The fake's own endpoints under `/_fake/` (no API key): request log, faults, objects, config.

- `GET /_fake/requests` -> `{"requests": [{"method", "path", "query", "status",
  "started_at", "finished_at"}]}`, every `/v1` request in arrival order (a request still
  in flight has `status` and `finished_at` null); `DELETE /_fake/requests` clears it.
- `POST /_fake/faults` with `{"path", "status"?, "times"?, "method"?, "headers"?,
  "delay_ms"?, "body"?}` makes matching requests (path prefix) wait `delay_ms` and/or
  answer `status` with Stripe's body for it; `GET` lists them, `DELETE` clears them.
- `POST /_fake/objects` with a Stripe object (or a list of them) upserts it.
- `GET /_fake/config`, `POST /_fake/config` with some of `latency_ms`, `jitter_ms`,
  `rate_limit_rps`, `search_rate_limit_rps`, `search_lag_seconds` reads or changes settings.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fake_stripe.config import FakeConfig
from fake_stripe.params import query_dict
from fake_stripe.render import render
from fake_stripe.store import DataError, Store


class RequestLog:
    """Every Stripe request served, in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def start(self, method: str, path: str, query_string: str) -> dict[str, Any]:
        """Record a request as it arrives; the caller fills in `status` and `finished_at`."""
        entry: dict[str, Any] = {
            "method": method,
            "path": path,
            "query": query_dict(query_string),
            "status": None,
            "started_at": time.time(),
            "finished_at": None,
        }
        with self._lock:
            self._entries.append(entry)
        return entry

    @staticmethod
    def finish(entry: dict[str, Any], status: int) -> None:
        """Record how a request ended."""
        entry["status"] = status
        entry["finished_at"] = time.time()

    def snapshot(self) -> list[dict[str, Any]]:
        """Copies of the entries so far."""
        with self._lock:
            return [dict(entry) for entry in self._entries]

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()


@dataclass(slots=True)
class Fault:
    """Requests whose path starts with `path` (and of `method`, if set) misbehave."""

    path: str
    status: int | None = None
    times: int | None = None
    method: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_ms: float = 0.0
    body: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, raw: Any) -> Fault:
        """A fault from its JSON form; ValueError when it is malformed."""
        if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
            raise ValueError("a fault is a JSON object with a string `path`")
        unknown = set(raw) - {"path", "status", "times", "method", "headers", "delay_ms", "body"}
        if unknown:
            raise ValueError(f"unknown fault keys: {', '.join(sorted(unknown))}")
        status, times, delay = raw.get("status"), raw.get("times"), raw.get("delay_ms", 0)
        if status is not None and not (isinstance(status, int) and 400 <= status <= 599):
            raise ValueError("`status` must be an HTTP error status (400-599)")
        if times is not None and not (isinstance(times, int) and times > 0):
            raise ValueError("`times` must be a positive integer")
        if not isinstance(delay, int | float) or delay < 0:
            raise ValueError("`delay_ms` must be a non-negative number")
        if status is None and not delay:
            raise ValueError("a fault needs a `status`, a `delay_ms`, or both")
        headers = raw.get("headers") or {}
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise ValueError("`headers` must map names to strings")
        body = raw.get("body")
        if body is not None and not isinstance(body, dict):
            raise ValueError("`body` must be a JSON object")
        method = raw.get("method")
        return cls(
            raw["path"], status, times, method.upper() if method else None, headers, delay, body
        )

    def applies(self, method: str, path: str) -> bool:
        """Whether this fault matches a request."""
        return path.startswith(self.path) and self.method in (None, method)


class Faults:
    """The registered faults; each use counts down its `times`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Register a fault (later ones apply after earlier ones)."""
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def list(self) -> list[dict[str, Any]]:
        """The faults, as JSON."""
        with self._lock:
            return [asdict(f) for f in self._faults]

    def take(self, method: str, path: str) -> tuple[float, Fault | None]:
        """For a request: the total injected delay (s) and the fault answering it, if any.

        Every matching delay-only fault adds its delay; the first matching fault with a
        `status` answers (its own delay counts too). Each fault used counts down `times`.
        """
        delay, answer = 0.0, None
        with self._lock:
            for fault in list(self._faults):
                if not fault.applies(method, path):
                    continue
                if fault.status is not None and answer is not None:
                    continue
                delay += fault.delay_ms / 1000.0
                if fault.status is not None:
                    answer = fault
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
        return delay, answer


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": {"type": "invalid_request_error", "message": message}}, 400)


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise ValueError("the body must be JSON") from None


async def requests_endpoint(request: Request) -> Response:
    """GET lists the request log, DELETE clears it."""
    log: RequestLog = request.app.state.request_log
    if request.method == "DELETE":
        log.clear()
        return JSONResponse({"deleted": True})
    return JSONResponse({"requests": log.snapshot()})


async def faults_endpoint(request: Request) -> Response:
    """POST adds a fault (or a list of them), GET lists them, DELETE clears them."""
    faults: Faults = request.app.state.faults
    if request.method == "DELETE":
        faults.clear()
        return JSONResponse({"deleted": True})
    if request.method == "POST":
        try:
            raw = await _json(request)
            new = [Fault.from_json(item) for item in (raw if isinstance(raw, list) else [raw])]
        except ValueError as exc:
            return _bad(str(exc))
        for fault in new:
            faults.add(fault)
    return JSONResponse({"faults": faults.list()})


async def objects_endpoint(request: Request) -> Response:
    """POST upserts a Stripe object (or a list of them) and answers them as served."""
    store: Store = request.app.state.store
    try:
        raw = await _json(request)
        objects = raw if isinstance(raw, list) else [raw]
        if not all(isinstance(obj, dict) for obj in objects):
            raise ValueError("post a Stripe object or a list of them")
        stored = [store.upsert(obj) for obj in objects]
    except (ValueError, DataError) as exc:
        return _bad(str(exc))
    served = [render(store, obj) for obj in stored]
    return JSONResponse(served if isinstance(raw, list) else served[0])


async def config_endpoint(request: Request) -> Response:
    """GET shows the settings, POST changes some of them."""
    config: FakeConfig = request.app.state.config
    if request.method == "POST":
        try:
            changes = await _json(request)
            if not isinstance(changes, dict):
                raise ValueError("post a JSON object of settings")
            config.update(changes)
        except ValueError as exc:
            return _bad(str(exc))
    return JSONResponse(config.as_dict())


routes = [
    Route("/_fake/requests", requests_endpoint, methods=["GET", "DELETE"]),
    Route("/_fake/faults", faults_endpoint, methods=["GET", "POST", "DELETE"]),
    Route("/_fake/objects", objects_endpoint, methods=["POST"]),
    Route("/_fake/config", config_endpoint, methods=["GET", "POST"]),
]
