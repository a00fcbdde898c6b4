"""Request bodies of at most GATEWAY_MAX_BODY_BYTES (1 MB by default); larger ones get 413.

A pure ASGI middleware: a `Content-Length` over the limit is refused before any byte of
the body is read; a body without one (chunked) is counted as it streams in and refused as
soon as it passes the limit. An accepted body is read whole (it is at most the limit) and
replayed to the app, so nothing downstream can read more than the limit.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stripe_gateway.http_errors import error_response

# After the limit is passed, up to this many more bytes are read and dropped, so that an
# ordinary client that is still sending can read the 413 instead of a broken connection.
DRAIN_BYTES = 4 * 1024 * 1024


class BodyLimitMiddleware:
    """Refuses request bodies larger than `max_bytes` with a typed 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                await error_response(400, "malformed Content-Length header")(scope, receive, send)
                return
            if length > self.max_bytes:
                if length <= self.max_bytes + DRAIN_BYTES:
                    await _drain(receive, self.max_bytes + DRAIN_BYTES)
                await self._refuse(scope, receive, send)
                return
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body: bytes = message.get("body", b"")
            total += len(body)
            if total > self.max_bytes:
                if message.get("more_body", False):
                    await _drain(receive, self.max_bytes + DRAIN_BYTES - total)
                await self._refuse(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False
        whole = b"".join(chunks)

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            f"request body larger than {self.max_bytes} bytes",
            limit="bodyBytes",
            maximum=self.max_bytes,
        )
        await response(scope, receive, send)


async def _drain(receive: Receive, budget: int) -> None:
    """Read and drop the rest of a refused body, up to `budget` bytes."""
    while budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return
