"""Questions about a person the articles name: "Who is Bonnie Siegel?", "Tell me about Chris Wood".

Similarity alone answered "Who is Bonnie Siegel?" with the other author's "About the Author" ("She is an
experienced healthcare information technology executive search consultant ..."): a bio, cited correctly, under
the wrong name. So for such a question only sentences that name the person (or open with a pronoun right after
one that does) are quoted, and when none does but the person wrote a retrieved article, the byline is the
answer. Hand-written patterns: the asks are few and fixed ("who is", "tell me about").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from langchain_core.documents import Document

from bot.answer.extractive import Candidate
from bot.answer.passages import source_of
from bot.answer.scope import names_in
from bot.answer.types import Answer, sources_footer
from ingest.chunking import Unit, units

_ASKS = re.compile(
    r"^\s*(?:(?:ok|okay|so|and|thanks)[,.!]?\s+)*(?:who\s+is|who(?:’s|'s)|who\s+was|tell\s+me\s+(?:more\s+)?about"
    r"|what\s+do\s+(?:you|we|the\s+articles)\s+(?:know|say)\s+about|what\s+(?:does|did)\s+(?:\S+\s+){1,3}do\b)",
    re.IGNORECASE,
)
_OPENS = re.compile(r"^\s*(?:is|was|does|did|has)\s", re.IGNORECASE)
"""A yes/no question, which may open with the person ("Is Bonnie Siegel a recruiter?")."""
_PRONOUN = re.compile(r"^(?:she|he|they|her|his|their)\b", re.IGNORECASE)
MIN_PART = 4
"""A name's word that counts alone ("Siegel", "Wood"); shorter ones ("Dr", "J.D.") are no name."""


def person_asked(question: str, names: frozenset[str]) -> str | None:
    """The person a "who is ...?" or "is <person> a ...?" question asks about: a name of the articles of two or
    more words (authors' bylines are names too); None for any other question."""
    asks = bool(_ASKS.search(question))
    if not asks and not _OPENS.match(question):
        return None  # most questions: the names are not read (they grow with the knowledge base)
    found = names_in(question, frozenset(n for n in names if " " in n))
    if not found:
        return None
    person = max(found, key=len)
    opens = re.match(rf"^\s*(?:is|was|does|did|has)\s+{re.escape(person)}\b", question, re.IGNORECASE)
    return person if asks or opens else None


def _parts(person: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", person.lower()) if len(w) >= MIN_PART]


def mentions(person: str, text: str) -> bool:
    """Whether the text names the person, in full or by a part of the name ("Dr. Wood says")."""
    lowered = text.lower()
    return any(re.search(rf"\b{re.escape(p)}\b", lowered) for p in _parts(person))


def about(person: str, ranked: Sequence[Candidate]) -> list[Candidate]:
    """The sentences that speak of the person: naming them, or opening with a pronoun right after one that does."""
    kept = []
    split: dict[str, list[Unit]] = {}  # a passage's sentences, split once however many of them are ranked
    for cand in ranked:
        found = split.setdefault(cand.passage.text, units(cand.passage.text))
        before = found[cand.position - 1].text if 0 < cand.position <= len(found) else ""
        if mentions(person, cand.text) or (_PRONOUN.match(cand.text) and mentions(person, before)):
            kept.append(cand)
    return kept


def byline(person: str, question: str, resolved: str, docs: Sequence[Document]) -> Answer | None:
    """When no sentence speaks of the person but they wrote a retrieved article: that, as the answer."""
    wrote = [s for s in dict.fromkeys(source_of(d.metadata) for d in docs) if s.author and mentions(person, s.author)]
    if not wrote:
        return None
    sources = [replace(s, n=i + 1) for i, s in enumerate(wrote)]
    first = sources[0]
    titles = " and ".join(f"“{s.title}”" + (f" ({s.publisher})" if s.publisher else "") + f" [{s.n}]" for s in sources)
    lead = f"{first.author} wrote {titles}. The articles say nothing more about {first.author}."
    return Answer(question, resolved, lead, [], sources, True, f"{lead}\n\n{sources_footer(sources)}")
