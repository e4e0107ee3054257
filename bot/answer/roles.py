"""Finding the executive roles a question is about, by acronym or by full title.

Role names are data, not code: the known set comes from the knowledge base's `roles` metadata, and
the full titles below only teach the matcher how people spell common roles out. A role the table
does not know still matches by its acronym ("CISO"), so an admin's new article needs no code change.
"""

from __future__ import annotations

from ingest.rolenames import TITLES, find_roles

__all__ = ["TITLES", "find_roles", "full_title"]


def full_title(role: str) -> str:
    """'CTO' -> 'chief technology officer (CTO)'; an unknown role stays as it is."""
    titles = TITLES.get(role.upper())
    return f"{titles[0]} ({role.upper()})" if titles else role.upper()
