"""The advisor's value types, shared by answering code and every front end (none of them import telegram)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias


@dataclass(frozen=True)
class Source:
    """An article cited by an answer; `n` is the number used in [n] citations."""

    n: int
    title: str
    author: str
    publisher: str
    path: str
    url: str | None = None

    def label(self) -> str:
        """'Title — Author, Publisher': what a Sources footer shows."""
        by = ", ".join(p for p in (self.author, self.publisher) if p)
        return f"{self.title} — {by}" if by else self.title

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n": self.n,
            "title": self.title,
            "author": self.author,
            "publisher": self.publisher,
            "path": self.path,
        }
        if self.url:
            out["url"] = self.url
        return out


def sources_footer(sources: Iterable[Source]) -> str:
    """The Sources block under every answer, brief and comparison: a heading, then "[n] label" per source."""
    return "\n".join(["Sources:", *[f"[{s.n}] {s.label()}" for s in sources]])


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk handed to a composer: the text, its article, and where it sits."""

    n: int
    text: str
    doc_id: str
    headings: str
    source: Source
    score: float
    facets: tuple[str, ...] = ()
    """The facet of each quotable unit (ingest.facets), in ingest.chunking.units() order; empty when the
    index was built before facets existed."""
    content_hash: str = ""
    """The chunk's content hash (ingest): the key of its units' stored vectors (ingest.sentences)."""
    chunk: int = -1
    """The chunk's position in its article (ingest), so that the chunk after it can be found; -1 unknown."""

    continued: bool | None = None
    """Whether the article's next chunk opens by finishing this one's last sentence (ingest.chunking.continued);
    None when the index was built before that was stored (the next chunk is then read to find out)."""
    also: tuple[str, ...] = ()
    """Each unit's second facet ("" for none; ingest.facets), in the same order: only briefs and the toolkit
    read it, to fill a section its own facet's sentences leave empty (answers score the first facet)."""

    def facet(self, position: int) -> str:
        return self.facets[position] if 0 <= position < len(self.facets) else ""

    def also_at(self, position: int) -> str:
        return self.also[position] if 0 <= position < len(self.also) else ""


@dataclass(frozen=True)
class Point:
    """One bullet of an answer: the knowledge base's own words and the source number they come from."""

    text: str
    source: int


@dataclass
class Answer:
    """What every interface renders; `text` is the plain-text form (also the JSON `answer`)."""

    question: str
    resolved_question: str
    lead: str
    points: list[Point]
    sources: list[Source]
    in_scope: bool
    text: str
    mode: Literal["extractive", "llm", "decline"] = "extractive"
    suggestions: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    coverage: Literal["full", "partial", "none"] = "full"
    """Whether the articles address what is asked; "none" with in_scope: on topic, but they are silent."""
    understood: str | None = None
    """The question as answered, when typos were corrected ("Showing results for ...")."""
    points_intro: str | None = None
    """A line between the lead and the points, when they are not the answer (a gap's related points)."""
    fallback: str | None = None
    """Why an LLM was configured but this answer is extractive: "unavailable" (the model failed or timed
    out) or "ungrounded" (the groundedness guard removed too much of what it wrote)."""
    grounding: dict[str, int] | None = None
    """An LLM answer's sentences the groundedness guard kept and removed: {"kept": n, "removed": n}."""

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "sources": [s.to_json() for s in self.sources],
            "in_scope": self.in_scope,
            "coverage": self.coverage,
            "understood": self.understood,
            "question": self.question,
            "resolved_question": self.resolved_question,
            "mode": self.mode,
            "suggestions": self.suggestions,
            "roles": self.roles,
            **({"fallback": self.fallback} if self.fallback else {}),
            **({"grounding": self.grounding} if self.grounding is not None else {}),
        }


@dataclass(frozen=True)
class Partial:
    """A streamed answer so far (cumulative, already cleaned of bad citations and foreign links)."""

    text: str


@dataclass(frozen=True)
class Final:
    """The finished answer, exactly what `Advisor.ask` returns."""

    answer: Answer


Ask: TypeAlias = Callable[[str, Sequence[str]], Answer]
"""One answer path, question and earlier turns in: the extractive one, or the LLM one run on a loop."""
