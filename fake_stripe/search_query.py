"""Stripe's search query language: parsing, checking against a resource's fields, matching.

A query is up to 10 clauses `field OP value` joined by spaces or `AND` (all must match),
or by `OR` (any may match), never both. `OP` is `:` (exact, case-insensitive), `~`
(substring, case-insensitive, at least 3 characters) or, for numeric fields, `>`, `<`,
`>=`, `<=`. String values are quoted with `"` or `'`; inside quotes a backslash escapes
the next character (`\\"`, `\\'`, `\\\\`). `-` before a clause negates it. `metadata["k"]`
addresses one metadata key. Everything malformed answers a 400 like Stripe's.

The fake compares an exact clause with the whole value (Stripe matches words), which is
stricter than Stripe and never looser.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fake_stripe.errors import StripeError

MAX_CLAUSES = 10
MAX_LENGTH = 5000
MIN_SUBSTRING = 3
PARSE_ERROR = (
    "We were unable to parse your search query. Try using the format "
    '`metadata["key"]:"value"` to query for metadata or key:"value" to query for other fields.'
)
_OPERATORS = (">=", "<=", ":", "~", ">", "<")
_IDENT_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_IDENT = _IDENT_START + "0123456789."

FieldKind = Literal["string", "token", "number", "boolean", "metadata"]


@dataclass(frozen=True, slots=True)
class Field:
    """A searchable field: its kind, how to read it from an object, whether `~` works."""

    kind: FieldKind
    read: Callable[[Mapping[str, Any]], Any]
    substring: bool = False


@dataclass(frozen=True, slots=True)
class Clause:
    """One `[-]field[key] OP value` clause."""

    field: str
    op: str
    value: str
    quoted: bool
    negated: bool = False
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Query:
    """Parsed clauses and how they combine (`AND` or `OR`)."""

    clauses: tuple[Clause, ...]
    conjunction: Literal["AND", "OR"]


def query_error(detail: str | None = None) -> StripeError:
    """Stripe's 400 for a query it cannot parse."""
    message = (
        PARSE_ERROR if detail is None else f"We were unable to parse your search query. {detail}"
    )
    return StripeError(400, message, param="query")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def skip_space(self) -> int:
        start = self.pos
        while not self.at_end() and self.text[self.pos].isspace():
            self.pos += 1
        return self.pos - start

    def quoted(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        while not self.at_end():
            char = self.text[self.pos]
            if char == "\\":
                if self.pos + 1 >= len(self.text):
                    break
                out.append(self.text[self.pos + 1])
                self.pos += 2
            elif char == quote:
                self.pos += 1
                return "".join(out)
            else:
                out.append(char)
                self.pos += 1
        raise query_error("A quoted value is missing its closing quote.")

    def identifier(self) -> str:
        start = self.pos
        if self.at_end() or self.text[self.pos] not in _IDENT_START:
            raise query_error()
        while not self.at_end() and self.text[self.pos] in _IDENT:
            self.pos += 1
        return self.text[start : self.pos]

    def clause(self) -> Clause:
        negated = self.peek() == "-"
        if negated:
            self.pos += 1
        field = self.identifier()
        key = None
        if self.peek() == "[":
            self.pos += 1
            if self.peek() not in ("'", '"'):
                raise query_error()
            key = self.quoted()
            if self.peek() != "]":
                raise query_error()
            self.pos += 1
        op = next((o for o in _OPERATORS if self.text.startswith(o, self.pos)), None)
        if op is None:
            raise query_error()
        self.pos += len(op)
        if self.peek() in ("'", '"'):
            return Clause(field, op, self.quoted(), True, negated, key)
        start = self.pos
        while not self.at_end() and not self.text[self.pos].isspace():
            self.pos += 1
        value = self.text[start : self.pos]
        if not value or any(c in value for c in "'\"()"):
            raise query_error()
        return Clause(field, op, value, False, negated, key)

    def keyword(self) -> str | None:
        for word in ("AND", "OR"):
            end = self.pos + len(word)
            if self.text[self.pos : end].upper() == word and (
                end < len(self.text) and self.text[end].isspace()
            ):
                self.pos = end
                return word
        return None


def parse(text: str) -> Query:
    """Parse a query string; Stripe's 400 when it is malformed."""
    if len(text) > MAX_LENGTH:
        raise query_error(f"A query can be at most {MAX_LENGTH} characters long.")
    parser = _Parser(text)
    parser.skip_space()
    if parser.at_end():
        raise query_error()
    clauses = [parser.clause()]
    joins: set[str] = set()
    while True:
        spaced = parser.skip_space()
        if parser.at_end():
            break
        if not spaced:
            raise query_error()
        word = parser.keyword()
        if word is not None:
            parser.skip_space()
            if parser.at_end():
                raise query_error()
        joins.add(word or "AND")
        clauses.append(parser.clause())
    if len(joins) > 1:
        raise query_error("AND and OR cannot be combined in one query.")
    if len(clauses) > MAX_CLAUSES:
        raise query_error(f"A query can have at most {MAX_CLAUSES} clauses.")
    return Query(tuple(clauses), "OR" if joins == {"OR"} else "AND")


def check(query: Query, fields: Mapping[str, Field], resource: str) -> None:
    """Stripe's 400 for clauses the resource's fields do not support."""
    for clause in query.clauses:
        spec = fields.get(clause.field)
        if spec is None or (spec.kind == "metadata") != (clause.key is not None):
            raise StripeError(
                400,
                f"Field `{clause.field}` is an unsupported search field for resource "
                f"`{resource}`. See http://stripe.com/docs/search#query-fields-for-{resource} "
                "for a list of supported fields.",
                param="query",
            )
        if clause.op == "~":
            if not spec.substring:
                raise query_error(
                    f"Field `{clause.field}` does not support substring (`~`) search."
                )
            if len(clause.value) < MIN_SUBSTRING:
                raise query_error(
                    f"Substring (`~`) search needs a value of at least {MIN_SUBSTRING} characters."
                )
        if clause.op in (">", "<", ">=", "<=") and spec.kind != "number":
            raise query_error(f"Field `{clause.field}` does not support numeric comparison.")
        if spec.kind == "number" and not clause.value.lstrip("-").isdigit():
            raise query_error(f"Field `{clause.field}` needs a numeric value.")
        if spec.kind == "boolean" and clause.value.lower() not in ("true", "false"):
            raise query_error(f"Field `{clause.field}` needs true or false.")
        if spec.kind in ("string", "token", "metadata") and not clause.quoted:
            raise query_error()


def _compare(op: str, actual: Any, wanted: str, kind: FieldKind) -> bool:
    if actual is None:
        return False
    if kind == "number":
        number, target = int(actual), int(wanted)
        return {
            ":": number == target,
            ">": number > target,
            "<": number < target,
            ">=": number >= target,
            "<=": number <= target,
        }[op]
    if kind == "boolean":
        return bool(actual) == (wanted.lower() == "true")
    text, target_text = str(actual).casefold(), wanted.casefold()
    return target_text in text if op == "~" else text == target_text


def clause_matches(clause: Clause, obj: Mapping[str, Any], fields: Mapping[str, Field]) -> bool:
    """Whether one (checked) clause matches an object."""
    spec = fields[clause.field]
    actual = spec.read(obj)
    if spec.kind == "metadata":
        actual = (actual or {}).get(clause.key)
    hit = _compare(clause.op, actual, clause.value, spec.kind)
    return hit != clause.negated


def matches(query: Query, obj: Mapping[str, Any], fields: Mapping[str, Field]) -> bool:
    """Whether a (checked) query matches an object."""
    hits = (clause_matches(clause, obj, fields) for clause in query.clauses)
    return any(hits) if query.conjunction == "OR" else all(hits)


def predicate(query: Query, fields: Mapping[str, Field]) -> Callable[[Mapping[str, Any]], bool]:
    """`matches` for one (checked) query, as a function of the object. An `OR` of exact,
    not negated string or token clauses (the gateway's batched searches) becomes a set
    lookup per field, so a search over many objects stays fast; the answer is the same."""
    simple = query.conjunction == "OR" or len(query.clauses) == 1
    wanted: dict[str, set[str]] = {}
    for clause in query.clauses:
        if not simple or clause.op != ":" or clause.negated or clause.key is not None:
            return lambda obj: matches(query, obj, fields)
        if fields[clause.field].kind not in ("string", "token"):
            return lambda obj: matches(query, obj, fields)
        wanted.setdefault(clause.field, set()).add(clause.value.casefold())
    readers = [(fields[name].read, values) for name, values in wanted.items()]

    def any_equal(obj: Mapping[str, Any]) -> bool:
        for read, values in readers:
            actual = read(obj)
            if actual is not None and str(actual).casefold() in values:
                return True
        return False

    return any_equal


def getter(*path: str) -> Callable[[Mapping[str, Any]], Any]:
    """Read a nested field, None when any step is missing."""
    if len(path) == 1:
        (name,) = path

        def read_top(obj: Mapping[str, Any]) -> Any:
            return obj.get(name)

        return read_top

    def read(obj: Mapping[str, Any]) -> Any:
        value: Any = obj
        for step in path:
            if not isinstance(value, Mapping):
                return None
            value = value.get(step)
        return value

    return read
