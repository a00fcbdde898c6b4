"""Validation of contact input: pure functions, no I/O.

Every failure raises `ContactValidationError` (a `BadUserInput`, GraphQL code
`BAD_USER_INPUT`) whose message starts with the field, in the GraphQL API's spelling
(`id`, `name`, `email`, `customData`, `first`, `after`, `search`). The store validates
everything before it writes, so a rejected call stores nothing.

Choices worth knowing:
- `id`, `name` and `email` are trimmed. A blank `name` or `email` means "no value" and
  clears the stored one, as `None` does (helpdesk widgets send `""` for an empty field).
- An email is checked with `email_validator` (syntax only, no DNS) and stored as given
  (trimmed), not normalized, so the helpdesk sees what it sent.
- `customData` must be a JSON object. Its depth counts containers: `{}` is 1,
  `{"a": {"b": []}}` is 3. Strings may not contain NUL (PostgreSQL's JSONB cannot store
  it) nor lone surrogates (not encodable as UTF-8), so both databases accept the same data.
"""

from __future__ import annotations

import json
import math
import unicodedata
from typing import Any

from email_validator import EmailNotValidError
from email_validator import validate_email as _check_email_syntax

from stripe_gateway.errors import BadUserInput

MAX_ID_LENGTH = 255
MAX_NAME_LENGTH = 256
MAX_EMAIL_LENGTH = 254
MAX_CUSTOM_DATA_DEPTH = 16
MAX_SEARCH_LENGTH = 256
MAX_PAGE_SIZE = 100

# Control characters, lone surrogates, and the Unicode line and paragraph separators.
_FORBIDDEN_TEXT_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


class ContactValidationError(BadUserInput):
    """Rejected contact input; `field` names the offending field (GraphQL spelling)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field

    @property
    def extensions(self) -> dict[str, object]:
        return {"code": self.code, "field": self.field}


def _forbidden_character(value: str) -> str | None:
    """The first control character (or lone surrogate, or line separator), as U+XXXX."""
    for char in value:
        if unicodedata.category(char) in _FORBIDDEN_TEXT_CATEGORIES:
            return f"U+{ord(char):04X}"
    return None


def _check_text(field: str, value: object, max_length: int) -> str:
    if not isinstance(value, str):
        raise ContactValidationError(field, f"must be a string, not {type(value).__name__}")
    value = value.strip()
    if len(value) > max_length:
        raise ContactValidationError(
            field, f"must be at most {max_length} characters (got {len(value)})"
        )
    bad = _forbidden_character(value)
    if bad is not None:
        raise ContactValidationError(field, f"must not contain control characters ({bad})")
    return value


def validate_id(value: object) -> str:
    """Return the contact id trimmed; it must be 1 to 255 characters, no control characters."""
    checked = _check_text("id", value, MAX_ID_LENGTH)
    if not checked:
        raise ContactValidationError("id", "must not be empty")
    return checked


def lookup_id(value: object) -> str | None:
    """The id as `validate_id` would store it, or None when no contact can have this id."""
    try:
        return validate_id(value)
    except ContactValidationError:
        return None


def validate_name(value: object) -> str | None:
    """Return the name trimmed (at most 256 characters); None or blank gives None."""
    if value is None:
        return None
    checked = _check_text("name", value, MAX_NAME_LENGTH)
    return checked or None


def validate_email(value: object) -> str | None:
    """Return the email trimmed, as given; None or blank gives None (clears the email).

    The syntax is checked by `email_validator` without DNS: no display names, quoted local
    parts, IP literals or special-use domains (`localhost`, `.test`, ...). At most 254
    characters.
    """
    if value is None:
        return None
    checked = _check_text("email", value, MAX_EMAIL_LENGTH)
    if not checked:
        return None
    try:
        _check_email_syntax(checked, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ContactValidationError("email", f"is not a valid email address: {exc}") from None
    return checked


def _bad_json(path: str, message: str) -> ContactValidationError:
    if len(path) > 120:
        path = path[:117] + "..."
    where = "" if path == "customData" else f" (at {path})"
    return ContactValidationError("customData", f"{message}{where}")


def _check_json_string(path: str, value: str) -> None:
    if "\x00" in value:
        raise _bad_json(path, "strings must not contain NUL (U+0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad_json(path, "strings must be valid Unicode (lone surrogate)") from None


def _check_json_tree(root: dict[str, Any]) -> None:
    """Walk the object without recursion: types, keys, finite numbers, depth."""
    stack: list[tuple[str, object, int]] = [("customData", root, 1)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, dict | list) and depth > MAX_CUSTOM_DATA_DEPTH:
            raise _bad_json(path, f"is nested more than {MAX_CUSTOM_DATA_DEPTH} levels deep")
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise _bad_json(path, f"object keys must be strings, not {type(key).__name__}")
                _check_json_string(path, key)
                stack.append((f"{path}.{key}", item, depth + 1))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item, depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str):
            _check_json_string(path, value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise _bad_json(path, f"numbers must be finite, not {value}")
        elif value is not None and not isinstance(value, bool | int):
            raise _bad_json(path, f"is not a JSON value (type {type(value).__name__})")


def validate_custom_data(value: object) -> dict[str, Any]:
    """Check a `customData` patch: a JSON object (str keys), finite numbers, depth <= 16.

    `None` is refused rather than read as "clear everything": to remove a key, set it to
    null inside the object.
    """
    if not isinstance(value, dict):
        shown = "null" if value is None else type(value).__name__
        raise ContactValidationError(
            "customData", f"must be a JSON object (got {shown}); set a key to null to remove it"
        )
    _check_json_tree(value)
    return value


def encode_custom_data(value: dict[str, Any]) -> str:
    """Compact JSON encoding (UTF-8 characters kept), the form whose size is bounded."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ContactValidationError("customData", f"is not JSON-serializable: {exc}") from None


def merge_custom_data(
    stored: dict[str, Any], patch: dict[str, Any], *, max_bytes: int
) -> dict[str, Any]:
    """Merge a validated patch into stored data, key by key; a key set to None is removed.

    The merge is shallow: a nested object given in the patch replaces the stored one.
    Returns a fresh copy (decoded from its JSON) whose compact UTF-8 JSON encoding is at
    most `max_bytes`; otherwise raises `ContactValidationError`.
    """
    merged = dict(stored)
    for key, item in patch.items():
        if item is None:
            merged.pop(key, None)
        else:
            merged[key] = item
    encoded = encode_custom_data(merged).encode("utf-8")
    if len(encoded) > max_bytes:
        raise ContactValidationError(
            "customData",
            f"is too large: {len(encoded)} bytes of JSON after merging, the limit is {max_bytes}",
        )
    result: dict[str, Any] = json.loads(encoded)
    return result


def validate_first(value: object) -> int:
    """Page size for `list`: an integer from 0 to 100."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ContactValidationError("first", "must be an integer")
    if not 0 <= value <= MAX_PAGE_SIZE:
        raise ContactValidationError("first", f"must be between 0 and {MAX_PAGE_SIZE}")
    return value


def validate_search(value: object) -> str | None:
    """Search text for `list`, trimmed; None or blank means no filter."""
    if value is None:
        return None
    return _check_text("search", value, MAX_SEARCH_LENGTH) or None
