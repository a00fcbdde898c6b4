"""The ASGI middleware every `/v1` request passes: what Stripe does before and around a route.

In order: the request is logged on arrival; it gets a `Request-Id`; the API key is
checked (401); the rate limits are applied (429, answered without queueing); injected
faults are looked up; the request then waits its latency (plus any injected delay) and
is answered by the fault, the error, or the route. The log records the final status
(499 when the client hung up first, for example on its own timeout).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import string
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fake_stripe import errors
from fake_stripe.auth import auth_error, is_live
from fake_stripe.config import FakeConfig
from fake_stripe.control import Faults, RequestLog
from fake_stripe.errors import StripeError
from fake_stripe.limits import RateLimiter, latency_seconds

logger = logging.getLogger("fake_stripe")
# Logged as the status of a request whose client disconnected before the answer (nginx's 499).
CLIENT_CLOSED = 499
_ID_ALPHABET = string.ascii_letters + string.digits


def request_id() -> str:
    """A Stripe-style request id, `req_` and 14 letters or digits."""
    return "req_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(14))


def is_stripe_path(path: str) -> bool:
    """Whether a path is part of the (fake) Stripe API rather than the fake's own."""
    return path == "/v1" or path.startswith("/v1/")


class StripeGate:
    """Auth, rate limits, faults, latency, request ids and the request log for `/v1`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        config: FakeConfig,
        limiter: RateLimiter,
        faults: Faults,
        request_log: RequestLog,
    ) -> None:
        self.app = app
        self.config = config
        self.limiter = limiter
        self.faults = faults
        self.log = request_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_stripe_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        entry = self.log.start(method, path, scope.get("query_string", b"").decode("latin-1"))
        rid = request_id()
        state: dict[str, Any] = {"status": None, "started": False}
        extra_headers: dict[str, str] = {}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"], state["started"] = message["status"], True
                headers = list(message.get("headers", []))
                headers.append((b"request-id", rid.encode()))
                for name, value in extra_headers.items():
                    headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            error, delay = self._screen(scope, method, path, extra_headers)
            wait = latency_seconds(self.config) + delay
            downstream = await _wait_unless_disconnected(wait, receive)
            if downstream is None:
                state["status"] = CLIENT_CLOSED
                return
            if error is not None:
                await error.response()(scope, downstream, send_with_id)
            else:
                await self.app(scope, downstream, send_with_id)
        except asyncio.CancelledError:
            if state["status"] is None:
                state["status"] = CLIENT_CLOSED  # the client gave up (e.g. its timeout)
            raise
        except Exception:
            if state["started"]:
                raise
            logger.exception("fake Stripe failed on %s %s", method, path)
            failure = StripeError(500, errors.API_ERROR, type="api_error")
            await failure.response()(scope, receive, send_with_id)
        finally:
            RequestLog.finish(entry, state["status"])

    def _screen(
        self, scope: Scope, method: str, path: str, extra_headers: dict[str, str]
    ) -> tuple[StripeError | None, float]:
        """The error to answer instead of the route (if any) and the injected delay."""
        key, error = auth_error(Headers(scope=scope).get("authorization"))
        if error is not None:
            return error, 0.0
        if not self.limiter.allow(search=path.rstrip("/").endswith("/search")):
            return errors.rate_limited(is_live(key)), 0.0
        delay, fault = self.faults.take(method, path)
        if fault is None or fault.status is None:
            return None, delay
        resource = path.split("/")[2] if path.count("/") >= 2 else ""
        failure = errors.for_status(fault.status, key=key, resource=resource, livemode=is_live(key))
        if fault.body is not None:
            failure = _CustomBody(fault.status, fault.body)
        extra_headers.update(fault.headers)
        return failure, delay


async def _wait_unless_disconnected(seconds: float, receive: Receive) -> Receive | None:
    """Sleep `seconds`, watching the client: None if it hung up, else a `receive` to go on with.

    Messages read while watching (the request body) are replayed to the route.
    """
    if seconds <= 0:
        return receive
    consumed: list[Message] = []

    async def watch() -> None:
        while (message := await receive())["type"] != "http.disconnect":
            consumed.append(message)

    watcher = asyncio.ensure_future(watch())
    sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
    try:
        await asyncio.wait({watcher, sleeper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        watcher.cancel()
    if watcher.done() and not watcher.cancelled():
        watcher.exception()  # retrieved; failing to read the client means it is gone too
        return None

    async def replay() -> Message:
        return consumed.pop(0) if consumed else await receive()

    return replay


class _CustomBody(StripeError):
    """An injected fault answering a body given verbatim."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, str(body.get("error", body)))
        self._body = body

    def body(self) -> dict[str, Any]:
        return self._body
