"""Typed JSON bodies for the answers given before (or instead of) GraphQL execution.

Every refusal, whatever layer gives it (authentication, body limits, a malformed request,
an unknown path, an unexpected failure), has the shape of a GraphQL error response:
`{"errors": [{"message": ..., "extensions": {"code": ...}}]}`. Messages are fixed texts
written here; they never echo credentials, keys or request bodies.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

logger = logging.getLogger("stripe_gateway.http")

# The GraphQL error code of an HTTP status the gateway answers with.
CODE_BY_STATUS: Mapping[int, str] = {
    400: "BAD_USER_INPUT",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "BAD_USER_INPUT",
    406: "BAD_USER_INPUT",
    413: "BAD_USER_INPUT",
    415: "BAD_USER_INPUT",
    429: "RATE_LIMITED",
}


def code_for_status(status: int) -> str:
    """`extensions.code` for an HTTP status: 4xx by the table, everything else INTERNAL."""
    if status in CODE_BY_STATUS:
        return CODE_BY_STATUS[status]
    return "BAD_USER_INPUT" if 400 <= status < 500 else "INTERNAL"


def error_body(message: str, code: str, **extensions: object) -> dict[str, object]:
    """A GraphQL-shaped error body with one error."""
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: object,
) -> Response:
    """A JSON error response; the code defaults to the one of the status."""
    return JSONResponse(
        error_body(message, code or code_for_status(status), **extensions),
        status_code=status,
        headers=dict(headers or {}),
    )


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (unknown path, method not allowed) as typed JSON."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = "no such endpoint"
    elif exc.status_code == 405:
        message = "method not allowed on this endpoint"
    else:
        message = "the request was refused"
    return error_response(exc.status_code, message, headers=exc.headers)


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    """A failure nothing else handled: logged with a request id, answered with only that id."""
    request_id = uuid.uuid4().hex[:16]
    logger.error(
        "unexpected error in request %s (%s %s)",
        request_id,
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return error_response(
        500,
        f"Internal error; quote request id {request_id} to the operator",
        code="INTERNAL",
        requestId=request_id,
    )
