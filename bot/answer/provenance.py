"""Questions about where answers come from: "who wrote that?", "what's the source?", "who wrote the CTO article?".

Retrieval cannot answer them: the articles' sentences do not say who wrote them, so a search quotes
whatever holds "wrote" or "article" ("I encourage you to read Raths’ article ..."). The articles' own front
matter does, and an answer's sources carry it. Hand-written patterns rather than a classifier: the asks are
few and fixed, and a question must be nothing but such an ask ("who said that?" wants the speaker the
quote names, and "where do CTO candidates come from?" is about candidates, so neither is one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from bot.answer.gaps import decline
from bot.answer.passages import source_of
from bot.answer.roles import find_roles
from bot.answer.types import Answer, Source, sources_footer
from ingest.store.index import Hit, KnowledgeIndex
from ingest.store.manifest import DocEntry

MAX_LISTED = 5
"""How many articles a reply names; the sources list (/sources) has them all."""

_ACK = r"(?:(?:ok|okay|so|and|thanks|thank\s+you|great|cool|sorry)[,.!]?\s+)*"
_THING = r"(?:article|piece|post|paper|source|answer|quote|text|reply)s?"
# "that", "the CTO article", "the article on the CMIO role", "this piece about CMIOs"
_TARGET = (
    r"(?:that|this|it|these|those|them"
    rf"|(?:the|that|this|these|those|your)\s+(?:[\w/’'-]+\s+){{0,3}}?{_THING}"
    r"(?:\s+(?:on|about|for)\s+(?:the\s+|a\s+)?[\w/’'-]+(?:\s+role)?)?)"
)
_WHO = r"(?:who|which\s+(?:firm|company|publisher|outlet|organi[sz]ation|author|writer|person))"
_IS = r"(?:’s|'s|\s+is|\s+are|\s+was|\s+were)"
_ASKS = re.compile(
    rf"^\s*{_ACK}(?:"
    rf"{_WHO}\s+(?:wrote|writes|authored|published|publishes|is\s+behind|was\s+behind)\s+{_TARGET}"
    rf"|(?:who|what|which){_IS}\s+(?:the|your|its|their)\s+(?:author|writer|publisher|source|reference)s?"
    rf"(?:\s+(?:of|for|behind)\s+{_TARGET})?"
    rf"|(?:what|which)\s+(?:article|source|publication|piece|paper)s?\s+(?:is|was|are|were|did)\s+"
    r"(?:that|this|it|these|those)(?:\s+(?:come\s+)?from)?"
    r"|where\s+(?:is|was|did|does|do|are|were)\s+(?:that|this|it|these|those)\s+(?:come\s+)?from"
    r"|where(?:’s|'s)\s+(?:that|this|it)\s+from"
    r"|(?:source|sources|citation|citations|reference|references|author|authors)"
    # "Which firm do the authors work for?": the publishers, which the front matter names.
    r"|(?:which|what|who)\s+(?:firms?|compan(?:y|ies)|organi[sz]ations?|publishers?\s+)?\s*(?:do|does|did)\s+"
    r"(?:the|these|those|your)\s+(?:authors?|writers?)\s+(?:work\s+(?:for|at)|belong\s+to|represent)"
    r")\s*[?.!]*\s*$",
    re.IGNORECASE,
)


_ALL = re.compile(r"\b(?:these|those|your|the|all)\s+(?:[\w’'-]+\s+)?(?:articles|sources|references)\b", re.I)


def asks_for_source(question: str) -> bool:
    """Whether the question only asks who wrote or published something, or where it comes from."""
    return bool(_ASKS.match(question))


def asks_for_all(question: str) -> bool:
    """Whether it asks about the articles in general ("who wrote these articles?", "what are your sources?"),
    not about what the previous answer cited."""
    return bool(_ALL.search(question))


def _by(source: Source) -> str:
    """“Title” by its author, with the publisher: "Bonnie Siegel’s “The Health System CTO …” (Witt/Kieffer)"."""
    title = f"“{source.title}”"
    named = f"{source.author}’s {title}" if source.author else title
    return f"{named} ({source.publisher})" if source.publisher else named


def came_from(sources: Sequence[Source]) -> str:
    """What the previous answer cited, in words."""
    if len(sources) == 1:
        return f"That came from {_by(sources[0])}."
    return "\n".join([f"That came from {len(sources)} articles:", *[f"• {_by(s)}" for s in sources]])


def articles_about(
    documents: Mapping[str, DocEntry], roles: Sequence[str], read: Callable[[list[str]], list[Hit]]
) -> tuple[list[Source], int]:
    """The first MAX_LISTED articles (by title) about any of `roles` (every article when none is given),
    numbered from 1, and how many there are: author and publisher from each one's first chunk, read by id."""
    about = sorted(
        ((d, e) for d, e in documents.items() if not roles or set(roles) & set(e.roles)), key=lambda de: de[1].title
    )
    firsts = [e.chunk_ids()[0] for _, e in about[:MAX_LISTED] if e.chunk_hashes]
    by_doc = {h.doc_id: source_of(h.metadata) for h in read(firsts)}
    shown = [by_doc[d] for d, _ in about[:MAX_LISTED] if d in by_doc]
    return [replace(s, n=i + 1) for i, s in enumerate(shown)], len(about)


def about_roles(roles: Sequence[str], sources: Sequence[Source], total: int) -> str:
    """The articles about these roles (every article when none is given), in words; `total` counts them
    all when `sources` shows only some."""
    role = " and ".join(roles)
    if len(sources) == 1 and total == 1:
        return f"The {role} article is {_by(sources[0])}." if role else f"The one article is {_by(sources[0])}."
    about = f" about the {role} role" if role else ""
    lines = [f"The knowledge base has {total} articles{about}:", *[f"• {_by(s)}" for s in sources]]
    if total > len(sources):
        lines.append(f"… and {total - len(sources)} more.")
    return "\n".join(lines)


def source_answer(
    question: str,
    history: Sequence[str],
    known: Sequence[str],
    index: KnowledgeIndex,
    previous: Callable[[str, Sequence[str]], Answer],
) -> Answer | None:
    """Who wrote it: for "who wrote that?" the articles the previous answer (`previous` of the user's earlier
    turns, all a conversation keeps) cited; for "who wrote the CTO article?" those about the role. None for
    any other question, and for a role no article is about (the answer path declines that)."""
    if not asks_for_source(question):
        return None
    named = find_roles(question, known)
    if named and not set(named) & set(known):
        return None
    roles: list[str] = []
    if named or not history or asks_for_all(question):
        roles = [r for r in named if r in known]
        sources, total = articles_about(index.version().documents, roles, index.hits)
        text = about_roles(roles, sources, total)
    else:
        sources = previous(history[-1], history[:-1]).sources
        if not sources:
            return decline(question, question, known, "My previous reply quoted no article.")
        text = came_from(sources)
    first = text.split("\n", 1)[0]
    full = f"{text}\n\n{sources_footer(sources)}"
    return Answer(question, question, first, [], list(sources), True, full, "extractive", [], roles)
