"""Stripe's form-style query parameters.

Arrays come as `expand[]=a&expand[]=b` (curl, Stripe's docs) or `expand[0]=a&expand[1]=b`
(the stripe-python SDK, which always indexes arrays); both are read, in index order.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, parse_qsl

from fake_stripe.errors import StripeError, invalid_param

_INDEXED = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<index>\d*)\]$")
MAX_LIMIT = 100
DEFAULT_LIMIT = 10


def query_dict(query_string: str) -> dict[str, list[str]]:
    """Parameter name -> values, as the request log records them."""
    return parse_qs(query_string, keep_blank_values=True)


class Params:
    """The query parameters of one request."""

    def __init__(self, query_string: str) -> None:
        self.pairs = parse_qsl(query_string, keep_blank_values=True)

    def get(self, name: str) -> str | None:
        """The last value of a scalar parameter, or None when absent."""
        value = None
        for key, item in self.pairs:
            if key == name:
                value = item
        return value

    def array(self, name: str) -> list[str]:
        """Values of an array parameter in either encoding (`name[]` or `name[0]`)."""
        indexed: list[tuple[int, int, str]] = []
        for position, (key, value) in enumerate(self.pairs):
            match = _INDEXED.match(key)
            if match and match["name"] == name:
                index = int(match["index"]) if match["index"] else position
                indexed.append((index, position, value))
            elif key == name:
                indexed.append((position, position, value))
        return [value for _, _, value in sorted(indexed)]

    def expand(self) -> list[str]:
        """The `expand[]` paths."""
        return [path for path in self.array("expand") if path]

    def limit(self) -> int:
        """`limit`: 10 by default, 1 to 100, else Stripe's 400."""
        raw = self.get("limit")
        if raw is None or raw == "":
            return DEFAULT_LIMIT
        try:
            value = int(raw)
        except ValueError:
            raise StripeError(
                400, f"Invalid integer: {raw}", param="limit", code="parameter_invalid_integer"
            ) from None
        if value < 1:
            raise invalid_param("This value must be greater than or equal to 1.", "limit")
        if value > MAX_LIMIT:
            raise invalid_param(f"This value must be less than or equal to {MAX_LIMIT}.", "limit")
        return value

    def required(self, name: str) -> str:
        """A parameter that must be present (an empty value is the endpoint's to judge)."""
        value = self.get(name)
        if value is None:
            raise StripeError(
                400, f"Missing required param: {name}.", param=name, code="parameter_missing"
            )
        return value

    def one_of(self, name: str, allowed: frozenset[str]) -> str | None:
        """An enum parameter: absent (None) or one of `allowed`, else Stripe's 400."""
        value = self.get(name)
        if value is None or value == "":
            return None
        if value not in allowed:
            choices = ", ".join(sorted(allowed))
            raise invalid_param(f"Invalid {name}: must be one of {choices}", name)
        return value
