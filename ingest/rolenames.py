"""What a chief-officer role acronym looks like ("CTO", "CMIO", "CISO"), written once.

The ingest reads roles from article titles with it, the bot finds roles in questions with it, and both
neutralise role names with it and the titles below (the ingest when it stores the vectors of quotable
sentences, the bot when it scores them); a role an admin adds later ("CDAO") matches with no code
change. The pattern is hand-written: role acronyms are our domain's convention, not something a library knows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ACRONYM = r"C[A-Z]{1,3}O"
"""The shape of a chief-officer acronym: C, one to three capitals, O (no groups, to embed in larger patterns)."""

ROLE_ACRONYM = re.compile(rf"\b({ACRONYM})(?:s|'s|’s)?\b")
"""An acronym as text writes it, plural or possessive ("CTOs", "CMIO's"); group 1 is the role itself."""

# Full titles and everyday names for common health-system executive roles (data: a role missing here
# still matches by its acronym).
TITLES: dict[str, tuple[str, ...]] = {
    "CTO": ("chief technology officer", "chief technical officer", "technology chief", "tech chief"),
    "CMIO": (
        "chief medical information officer",
        "chief medical informatics officer",
        "physician informatics leader",
        "medical informatics officer",
        "physician informaticist",
    ),
    "CIO": ("chief information officer",),
    "CISO": ("chief information security officer", "security chief"),
    "CNIO": ("chief nursing information officer", "chief nursing informatics officer"),
    "CNO": ("chief nursing officer", "head of nursing", "nursing chief"),
    "CMO": ("chief medical officer",),
    "CFO": ("chief financial officer", "finance chief"),
    "CEO": ("chief executive officer", "chief executive"),
    "COO": ("chief operating officer",),
    "CDO": ("chief data officer", "chief digital officer"),
    "CHRO": ("chief human resources officer", "head of hr"),
}

_ROLE_WORDS = re.compile(
    rf"\b(?:{ACRONYM}s?|" + "|".join(re.escape(t) for ts in TITLES.values() for t in ts) + r")\b", re.IGNORECASE
)


_ANY_CHIEF = re.compile(r"\bchief ((?:[a-z]+ ){1,3})officers?\b")


def neutral(text: str) -> str:
    """Role names replaced by a neutral word, so sentence scoring weighs what is said about a role,
    not whether the role's name appears (retrieval has already filtered by role)."""
    return _ROLE_WORDS.sub("executive", text)


def find_roles(text: str, known: Iterable[str] = ()) -> list[str]:
    """Roles named in `text`, in order of first mention: acronyms, full titles, and `known` roles.
    Here, not in the bot, because the ingest needs it too: a role title is no article name (ingest.lexicon)."""
    found: dict[str, int] = {}
    for match in ROLE_ACRONYM.finditer(text):
        found.setdefault(match.group(1), match.start())
    lowered = text.lower()
    for role, titles in TITLES.items():
        for title in titles:
            at = lowered.find(title)
            if at >= 0:
                found[role] = min(found.get(role, at), at)
    for match in _ANY_CHIEF.finditer(lowered):
        # "chief security officer", "chief marketing officer": a role none of TITLES spells out is still a role
        # (declined by name when no article is about it), named by its initials.
        if not any(lowered.startswith(t, match.start()) for ts in TITLES.values() for t in ts):
            found.setdefault("C" + "".join(w[0] for w in match.group(1).split()).upper() + "O", match.start())
    for role in known:
        named = re.search(rf"\b{re.escape(role)}s?\b", text, re.IGNORECASE)
        if named:
            found[role.upper()] = min(found.get(role.upper(), named.start()), named.start())
    return [role for role, _ in sorted(found.items(), key=lambda kv: kv[1])]
