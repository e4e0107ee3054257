"""Which of the knowledge base's roles a user means: by a name given for a brief or a comparison
("chief technology officer" is the CTO), or by what they have typed so far in inline mode ("cm").

One piece for every front end: the CLI, the console and Telegram pass what the user wrote and the
roles the advisor knows (Advisor.roles), and never look into the index themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.answer.roles import find_roles


class UnknownRoleError(ValueError):
    """A brief was asked for a role no article is about; the message lists the roles there are."""


def resolve_role(name: str, known: Sequence[str]) -> str:
    """The known role `name` means (acronym, plural or full title); UnknownRoleError when no article is about it."""
    found = find_roles(name, known) or [name.strip().upper()]
    role = found[0]
    if role not in known:
        raise UnknownRoleError(
            f"No article is about the {role} role yet. Roles in the knowledge base: {', '.join(known) or 'none'}."
        )
    return role


def matching_roles(query: str, known: list[str]) -> list[str]:
    """Roles named in the query, or whose name starts with it ("cm" -> CMIO); all roles when it is empty."""
    if not query:
        return known
    named = [r for r in find_roles(query, known) if r in known]
    prefix = [r for r in known if r.lower().startswith(query.lower()) and r not in named]
    return named + prefix
