"""Query limits and production hardening, added to any schema (standalone or federated).

Every limit refuses the whole operation before execution with a `BAD_USER_INPUT` error
that names the limit (`extensions.limit`, `extensions.maximum`):

- depth: nesting of fields, `{ contact { name } }` is 2 (GATEWAY_MAX_DEPTH);
- aliases: aliased fields in the document, fragments expanded (GATEWAY_MAX_ALIASES);
- tokens: lexical tokens of the document, checked while parsing (GATEWAY_MAX_TOKENS);
- operations per request: a JSON array body with more is refused (GATEWAY_MAX_OPERATIONS;
  1, the default, switches batching off).

Depth and aliases are measured here rather than with Strawberry's `QueryDepthLimiter` and
`MaxAliasesLimiter`: those walk a fragment once per spread, so a chain of fragments that
each spread the next one twice costs them 2^n steps (a 20-fragment chain takes seconds).
This walk measures each fragment once. When a limit is exceeded, the rest of validation is
skipped, so a hostile document costs one linear walk.

Introspection fields do not count towards depth; `MaxIntrospectionDepthRule` (graphql-js's
recommended rule) bounds them instead, and in production introspection is off altogether
(`__schema`, `__type`; `__typename` stays, and so do federation's `_service`/`_entities`,
which are ordinary fields). With field suggestions off, every "Did you mean ...?" is cut
from error messages, whichever rule or coercion wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation import MaxIntrospectionDepthRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension

from stripe_gateway.config import Settings
from stripe_gateway.errors import BadUserInput

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class QueryLimitExceeded(BadUserInput):
    """An operation over one of the query limits; names the limit and its maximum."""

    def __init__(self, message: str, limit: str, maximum: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.maximum = maximum

    @property
    def extensions(self) -> dict[str, object]:
        return {"code": self.code, "limit": self.limit, "maximum": self.maximum}


def measure(document: DocumentNode) -> tuple[int, int]:
    """(deepest operation's depth, aliases over all operations) with fragments expanded.

    Each fragment is measured once and its result reused at every spread, so the walk is
    linear in the document even when the expanded query would be exponentially large.
    A fragment cycle (refused by validation anyway) counts as empty.
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    memo: dict[str, tuple[int, int]] = {}
    visiting: set[str] = set()

    def fragment(name: str) -> tuple[int, int]:
        if name in memo:
            return memo[name]
        definition = fragments.get(name)
        if definition is None or name in visiting:
            return 0, 0
        visiting.add(name)
        memo[name] = selections(definition.selection_set)
        visiting.discard(name)
        return memo[name]

    def selections(selection_set: SelectionSetNode | None) -> tuple[int, int]:
        depth = aliases = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                aliases += 1 if selection.alias else 0
                name = selection.name.value
                if name.startswith("__") or selection.selection_set is None:
                    depth = max(depth, 1)
                    continue
                sub_depth, sub_aliases = selections(selection.selection_set)
                depth, aliases = max(depth, 1 + sub_depth), aliases + sub_aliases
            elif isinstance(selection, InlineFragmentNode):
                sub_depth, sub_aliases = selections(selection.selection_set)
                depth, aliases = max(depth, sub_depth), aliases + sub_aliases
            elif isinstance(selection, FragmentSpreadNode):
                sub_depth, sub_aliases = fragment(selection.name.value)
                depth, aliases = max(depth, sub_depth), aliases + sub_aliases
        return depth, aliases

    depth = aliases = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            op_depth, op_aliases = selections(definition.selection_set)
            depth, aliases = max(depth, op_depth), aliases + op_aliases
    return depth, aliases


class QueryShapeLimits(SchemaExtension):
    """Depth and alias limits, checked before the standard validation rules run."""

    def __init__(self, *, max_depth: int, max_aliases: int) -> None:
        self.max_depth = max_depth
        self.max_aliases = max_aliases

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            depth, aliases = measure(document)
            problems: list[QueryLimitExceeded] = []
            if depth > self.max_depth:
                problems.append(
                    QueryLimitExceeded(
                        f"query depth {depth} exceeds the limit of {self.max_depth}",
                        "depth",
                        self.max_depth,
                    )
                )
            if aliases > self.max_aliases:
                problems.append(
                    QueryLimitExceeded(
                        f"query uses {aliases} aliases, more than the limit of {self.max_aliases}",
                        "aliases",
                        self.max_aliases,
                    )
                )
            if problems:
                # Setting the errors here makes Strawberry skip the other validation rules.
                context.pre_execution_errors = [
                    GraphQLError(p.message, original_error=p) for p in problems
                ]
        yield


class HideSuggestions(SchemaExtension):
    """Cuts "Did you mean ...?" from every error message (field, argument, type, enum,
    input field): in production they would spell out the schema that introspection hides."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in (result.errors if result is not None else None) or ():
            error.message = _SUGGESTION.sub("", error.message)


def harden_schema(schema: strawberry.Schema, settings: Settings) -> strawberry.Schema:
    """Add the query limits and the production switches of `settings` to `schema`."""
    rules: list[type] = [MaxIntrospectionDepthRule]
    if not settings.introspection_enabled:
        rules.append(NoSchemaIntrospectionCustomRule)
    added: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = []
    if not settings.field_suggestions_enabled:
        # First, so that it sees the final errors, after ErrorCodes has typed them.
        added.append(HideSuggestions)
    added += [
        partial(
            QueryShapeLimits,
            max_depth=settings.gateway_max_depth,
            max_aliases=settings.gateway_max_aliases,
        ),
        partial(MaxTokensLimiter, max_token_count=settings.gateway_max_tokens),
        partial(AddValidationRules, rules),
    ]
    schema.extensions = (*added, *schema.extensions)
    schema.config.disable_field_suggestions = not settings.field_suggestions_enabled
    operations = settings.gateway_max_operations
    schema.config.batching_config = {"max_operations": operations} if operations > 1 else None
    return schema
