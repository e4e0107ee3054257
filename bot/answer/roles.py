"""Finding the executive roles a question is about, by acronym or by full title.

Role names are data, not code: the known set comes from the knowledge base's `roles` metadata, and
the full titles below only teach the matcher how people spell common roles out. A role the table
does not know still matches by its acronym ("CISO"), so an admin's new article needs no code change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ingest.rolenames import ROLE_ACRONYM, TITLES

__all__ = ["TITLES", "find_roles", "full_title"]


def full_title(role: str) -> str:
    """'CTO' -> 'chief technology officer (CTO)'; an unknown role stays as it is."""
    titles = TITLES.get(role.upper())
    return f"{titles[0]} ({role.upper()})" if titles else role.upper()


def find_roles(text: str, known: Iterable[str] = ()) -> list[str]:
    """Roles named in `text`, in order of first mention: acronyms, full titles, and `known` roles."""
    found: dict[str, int] = {}
    for match in ROLE_ACRONYM.finditer(text):
        found.setdefault(match.group(1), match.start())
    lowered = text.lower()
    for role, titles in TITLES.items():
        for title in titles:
            at = lowered.find(title)
            if at >= 0:
                found[role] = min(found.get(role, at), at)
    for role in known:
        named = re.search(rf"\b{re.escape(role)}s?\b", text, re.IGNORECASE)
        if named:
            found[role.upper()] = min(found.get(role.upper(), named.start()), named.start())
    return [role for role, _ in sorted(found.items(), key=lambda kv: kv[1])]
