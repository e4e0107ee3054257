"""The questions we offer: examples in menus and help, follow-ups under an answer, a decline's suggestions.

We offer only what the knowledge base can answer: a facet question about a role is offered when its
articles hold sentences of that facet.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

FACETS = (
    "What should I look for in a {r}?",
    "What does a {r} own?",
    "How much experience should a {r} have?",
    "What should I watch out for when hiring a {r}?",
)
"""Questions we offer as examples and follow-ups; the first two for every role (menus and help)."""
ASKS_FACET = dict(zip(FACETS, ("quality", "responsibility", "background", "challenge"), strict=True))
"""The facet (ingest.facets) a role's articles must hold for us to offer the later FACETS about it."""


def facet_questions(role: str, held: Collection[str] | None) -> list[str]:
    """FACETS about `role`: the first two always (the menus offer them for every role), the others
    when its articles hold sentences of their facet (`held`): the CMIO article says nothing on years of
    experience, so we do not offer to answer that. An untagged index (`held` None) offers them all."""
    return [f.format(r=role) for i, f in enumerate(FACETS) if i < 2 or held is None or ASKS_FACET[f] in held]


def follow_ups(offered: Sequence[str], roles: Sequence[str], known: Sequence[str]) -> list[str]:
    """One or two follow-ups we know the knowledge base can answer: one of `offered` (the facet
    questions about the answer's first role, minus the question just asked) and the next known role."""
    out = list(offered[:1])
    others = [r for r in known if r not in roles]
    if others:
        out.append(f"And for the {others[0]}?")
    return out[:2]


def examples(known: Sequence[str]) -> list[str]:
    """Two example questions: what to look for in the first role, what the last one owns."""
    return [FACETS[0].format(r=known[0]), FACETS[1].format(r=known[-1])] if known else []
