"""The advisor: one object every front end (CLI, console chat, Telegram) asks, and nothing else.

It resolves follow-ups, retrieves, decides whether the knowledge base covers the question, and
composes an extractive answer (or an LLM answer, falling back to extractive on any LLM failure).
Blocking work (embedding, Chroma) runs in a worker thread so async callers never stall their loop.

When the knowledge store cannot be read, every method raises one of STORE_DOWN (from ingest.store.index,
within seconds); front ends tell the user UNAVAILABLE and keep running, and the next question tries
the store again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from langchain_core.documents import Document

from bot.answer.asked import asked_facets
from bot.answer.briefs import Brief, Comparison, build_brief, build_comparison
from bot.answer.extractive import (
    Candidate,
    SentencePicker,
    SentenceVectors,
    fit,
    lead_line,
    neutral,
    number_sources,
    render,
    with_continuations,
)
from bot.answer.followup import Resolved, resolve
from bot.answer.implied import ImpliedRole
from bot.answer.multipart import split_parts
from bot.answer.retrieval import HybridRetriever, terms
from bot.answer.roles import find_roles
from bot.answer.scope import (
    QUESTION_WORDS,
    Evidence,
    ScopeModel,
    best_sentences_terms,
    default_model,
    kb_names,
    names_in,
    unmatched_span,
    weighted_share,
)
from bot.answer.settings import AnswerSettings
from bot.answer.spelling import Speller
from bot.answer.types import Answer, Final, Partial, Passage, Source
from ingest.errors import NoLiveVersionError, StoreUnavailableError
from ingest.store.index import Health, KnowledgeIndex

if TYPE_CHECKING:
    from bot.answer.llm import LLMAnswerer

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
UNAVAILABLE = "The knowledge base is temporarily unavailable, please try again in a minute."
"""What every front end tells a user when the advisor raises one of STORE_DOWN."""
RELATED = "Related points from the articles, not an answer to that:"
"""Above a gap's closest points: they are related, and not the answer."""
STORE_DOWN = (StoreUnavailableError, NoLiveVersionError)
"""The knowledge store cannot be read right now: a stopped Chroma server, a missing live version."""
_BRIEF_INTENT = re.compile(
    r"\b(brief|briefing|summary|summari[sz]e|overview|one[- ]pager|one[- ]page|profile|cheat ?sheet)\b", re.I
)
_COMPARE_INTENT = re.compile(r"\b(compare|comparison|versus|vs\.?|difference|differences|differ)\b", re.I)
FACETS = (
    "What should I look for in a {r}?",
    "What does a {r} own?",
    "How much experience should a {r} have?",
    "What should I watch out for when hiring a {r}?",
)
"""Questions we offer as examples and follow-ups; the first two for every role (menus and help)."""
ASKS_FACET = dict(zip(FACETS, ("quality", "responsibility", "background", "challenge"), strict=True))
"""The facet (ingest.facets) a role's articles must hold for us to offer the later FACETS about it."""


_REQUEST = re.compile(r"\b(give|write|prepare|draft|make|create|send|share|need|want|summari[sz]e)\b", re.I)


def _asks_for_brief(question: str) -> bool:
    """A request for a brief ("Give me a CTO one-pager", "CTO summary?"), not a question that only
    names one ("For the CTO profile: how much weight do ethics carry?", which wants an answer)."""
    if not _BRIEF_INTENT.search(question):
        return False
    return not question.rstrip().endswith("?") or bool(_REQUEST.search(question)) or len(question.split()) <= 4


def _route(question: str, roles: Sequence[str]) -> str:
    """What a question asks for: "compare" (two known roles), "brief" (one) or an "answer"."""
    if len(roles) == 2 and _COMPARE_INTENT.search(question):
        return "compare"
    if len(roles) == 1 and _asks_for_brief(question):
        return "brief"
    return "answer"


@dataclass(frozen=True)
class _Lexicon:
    """One live version's names, typo corrector and, per role, the facets its articles' sentences
    carry (a role whose sentences are untagged is absent)."""

    version: str
    names: frozenset[str]
    speller: Speller
    role_facets: dict[str, set[str]]


class UnknownRoleError(ValueError):
    """A brief was asked for a role no article is about; the message lists the roles there are."""


def source_of(meta: dict[str, object]) -> Source:
    url = meta.get("source_url")
    return Source(
        0,
        str(meta.get("title") or meta.get("doc_id")),
        str(meta.get("author") or ""),
        str(meta.get("publisher") or ""),
        str(meta.get("doc_id")),
        str(url) if url else None,
    )


def to_passages(docs: Sequence[Document]) -> list[Passage]:
    return [
        Passage(
            i + 1,
            d.page_content,
            str(d.metadata["doc_id"]),
            str(d.metadata.get("headings") or ""),
            source_of(d.metadata),
            float(d.metadata.get("rrf_score") or 0.0),
            tuple(str(f) for f in d.metadata.get("facets") or ()),
        )
        for i, d in enumerate(docs)
    ]


class Advisor:
    """Answers, briefs and comparisons from the live knowledge index."""

    def __init__(
        self,
        settings: AnswerSettings,
        index: KnowledgeIndex,
        llm: LLMAnswerer | None = None,
        scope: ScopeModel | None = None,
    ) -> None:
        self.settings = settings
        self.cfg = settings.advisor
        self.index = index
        self.llm = llm
        self.scope = scope or default_model()
        self._cached_lexicon: _Lexicon | None = None
        self.retriever = HybridRetriever(
            index=index, k=self.cfg.k, fetch_k=self.cfg.fetch_k, max_per_article=self.cfg.max_per_article
        )
        self.implied = ImpliedRole(index.embedder.encode)
        self.picker = SentencePicker(SentenceVectors(index.embedder), self.retriever.idf)
        self._briefs: dict[tuple[str, str], Brief] = {}
        self._briefs_lock = threading.Lock()

    # ----- the knowledge base -----
    def roles(self) -> list[str]:
        return self.index.roles()

    def health(self) -> Health:
        """Which version answers come from and what is damaged, for the admins' /stats (blocking)."""
        return self.index.health()

    def articles(self) -> list[Source]:
        """Every article in the live version, for /sources and the console."""
        docs = self.index.version().documents
        first = {h.doc_id: h.metadata for h in self.index.chunks()}
        ordered = sorted(docs.items(), key=lambda kv: kv[1].title)
        return [
            Source(
                i + 1,
                e.title,
                str(first.get(d, {}).get("author") or ""),
                str(first.get(d, {}).get("publisher") or ""),
                d,
            )
            for i, (d, e) in enumerate(ordered)
        ]

    def warm_up(self) -> None:
        """Load the model, open the live version and build the keyword index before the first user."""
        self.retriever.keyword()
        self.ask_sync("What should I look for in a CTO?")

    # ----- answering -----
    def _resolve(self, question: str, history: Sequence[str]) -> Resolved:
        turns = list(history)[-self.cfg.history_turns :] if self.cfg.history_turns else []
        return resolve(self.understood(question), [self.understood(t) for t in turns], self.roles())

    def _search(self, resolved: Resolved, wide: bool = False) -> tuple[list[Document], list[Candidate], list[str]]:
        """The question's passages, their sentences best first (the facet it asks for counting), and
        the known roles it is about (named, or clearly implied).

        The retrieval vector and the role-neutral one that scores sentences come from one encode call
        (a batch of two costs little more than one), and a question that names no role needs only one:
        its neutral form is itself.
        """
        known = set(self.roles())
        covered = [r for r in resolved.roles if r in known]
        plain = neutral(resolved.question)
        if plain == resolved.question:  # no role named: one vector serves both
            vector = neutral_vector = self.index.embedder.embed_query(plain)
        else:
            vector, neutral_vector = self.index.embedder.embed_documents([resolved.question, plain])
        # A question that names no role may still mean one ("the MD who championed the EHR"): the
        # answer then follows that role as if it were named (retrieval, the scope's role signal, the lead).
        implied = None if resolved.roles else self.implied.of(vector, self.roles())
        follow = covered or ([implied] if implied else None)
        # A brief reads widely in its role's articles: more passages, and more of them from one article.
        k = 2 * self.cfg.k if wide else None
        docs = self.retriever.invoke(resolved.question, roles=follow, vector=vector, k=k, max_per_article=k)
        wanted = asked_facets(resolved.question)
        ranked = self.picker.candidates(resolved.question, to_passages(docs), neutral_vector, wanted)
        return docs, ranked, list(follow or [])

    def _decline(self, question: str, resolved: Resolved, reason: str | None = None) -> Answer:
        roles = self.roles()
        suggestions = [FACETS[0].format(r=roles[0]), FACETS[1].format(r=roles[-1])] if roles else []
        scope = " and ".join(roles) if roles else "health-system executive"
        first = reason or "I can't answer that from the knowledge base."
        lines = [
            first,
            f"I can help with hiring a {scope}: what the role owns, what to look for, "
            "background and experience, and watch-outs. For example:",
            *[f"• {s}" for s in suggestions],
        ]
        return Answer(
            question, resolved.question, first, [], [], False, "\n".join(lines), "decline", suggestions, coverage="none"
        )

    @staticmethod
    def top_similarity(docs: Sequence[Document]) -> float:
        """The best cosine similarity of any retrieved passage to the question."""
        return max((float(d.metadata["dense_score"]) for d in docs if d.metadata["dense_score"] is not None), default=0)

    def _lexicon(self) -> _Lexicon:
        """What the live version's text tells us beyond its passages, built once per version."""
        version = self.index.version().name
        if self._cached_lexicon is None or self._cached_lexicon.version != version:
            chunks = self.index.chunks()
            # Who wrote an article and who published it are the articles' names too ("What does Bonnie
            # Siegel list?"), though only the front matter holds them. Each on its own line: no run
            # of capitals joins one to the next.
            bylines = {str(h.metadata.get(k) or "") for h in chunks for k in ("author", "publisher")}
            texts = [h.text for h in chunks] + sorted(b for b in bylines if b and b != "Unknown author")
            facets: dict[str, set[str]] = {}
            for hit in chunks:
                for role in hit.metadata.get("roles") or []:
                    facets.setdefault(str(role), set()).update(str(f) for f in hit.metadata.get("facets") or [])
            self._cached_lexicon = _Lexicon(
                version,
                kb_names(texts),
                Speller(texts, self.index.embedder.vocabulary()),
                {r: f for r, f in facets.items() if f},
            )
        return self._cached_lexicon

    def names(self) -> frozenset[str]:
        """The articles' names (people, organisations, frameworks, numbers) that mark a question as theirs."""
        return self._lexicon().names

    def understood(self, question: str) -> str:
        """The question with its typos corrected against the articles' vocabulary."""
        return self._lexicon().speller.correct(question)

    def _evidence(
        self, resolved: Resolved, docs: Sequence[Document], ranked: Sequence[Candidate], covered: list[str]
    ) -> Evidence:
        """The scope signals (bot.answer.scope) for a question and what retrieval found for it."""
        vocabulary = self.retriever.keyword().idf
        known = self._lexicon().speller.known
        # A short word that neither the articles nor the model know ("wht", "yrs") says nothing either way.
        words = [
            t
            for t in terms(neutral(resolved.question))
            if t != "executive" and t not in QUESTION_WORDS and (len(t) >= 4 or t in vocabulary or t in known)
        ]
        best = best_sentences_terms([c.text for c in ranked])
        return Evidence(
            dense=self.top_similarity(docs),
            sentence=max((c.similarity for c in ranked), default=0.0),
            known=weighted_share(words, vocabulary.__contains__, self.retriever.idf),
            matched=weighted_share(words, best.__contains__, self.retriever.idf),
            entity=1.0 if names_in(resolved.question, self.names(), self.roles()) else 0.0,
            role=1.0 if covered else 0.0,
        )

    def evidence(self, question: str, history: Sequence[str] = ()) -> Evidence | None:
        """What the scope decision sees for a question (for `python -m bot.quality.calibrate`); None when it is
        declined before any evidence is looked at (only roles no article is about, or nothing asked), or
        answered with a brief or a comparison."""
        resolved = self._resolve(" ".join(question.split()), history)
        known = set(self.roles())
        if not resolved.question or (resolved.roles and not any(r in known for r in resolved.roles)):
            return None
        if _route(question, [r for r in resolved.roles if r in known]) != "answer":
            return None  # a brief or a comparison: no scope decision is made for it
        docs, ranked, covered = self._search(resolved)  # as an answer searches, so calibration sees what runs
        return self._evidence(resolved, docs, ranked, covered)

    def suggestions(self, role: str) -> list[str]:
        """FACETS about `role`: the first two always (the menus offer them for every role), the others
        when its articles hold sentences of their facet: the CMIO article says nothing on years of
        experience, so we do not offer to answer that. An untagged index offers them all."""
        held = self._lexicon().role_facets.get(role)
        return [f.format(r=role) for i, f in enumerate(FACETS) if i < 2 or held is None or ASKS_FACET[f] in held]

    def _suggest(self, roles: Sequence[str], question: str) -> list[str]:
        """One or two follow-ups we know the knowledge base can answer."""
        known = self.roles()
        out: list[str] = []
        for role in roles[:1]:
            out += [f for f in self.suggestions(role) if f.lower() != question.lower()][:1]
        others = [r for r in known if r not in roles]
        if others:
            out.append(f"And for the {others[0]}?")
        return out[:2]

    def ask_sync(self, question: str, history: Sequence[str] = ()) -> Answer:
        """The extractive answer (blocking)."""
        question = " ".join(question.split())[:MAX_QUESTION_CHARS]
        if not question:
            return self._decline(question, Resolved("", ()), "Please ask a question.")
        resolved = self._resolve(question, history)
        known = [r for r in resolved.roles if r in self.roles()]
        route = _route(question, known)
        if route == "compare":
            comparison = self.compare_sync(*known)
            answer = self._as_answer(question, resolved, comparison.text, comparison.sources, known)
        elif route == "brief":
            brief = self.brief_sync(known[0])
            answer = self._as_answer(question, resolved, brief.text, brief.sources, known)
        else:
            answer = self._extractive(question, resolved)
        return self._showing_understood(answer)

    def _showing_understood(self, answer: Answer) -> Answer:
        """When typos were corrected, the answer first says what it answered."""
        understood = self.understood(answer.question)
        if understood.lower() == answer.question.lower():
            return answer
        return replace(answer, understood=understood, text=f"Showing results for “{understood}”.\n{answer.text}")

    def _as_answer(
        self, question: str, resolved: Resolved, text: str, sources: list[Source], roles: list[str]
    ) -> Answer:
        """A brief or a comparison asked for in words, returned like any answer."""
        lead = text.split("\n", 1)[0]
        return Answer(
            question,
            resolved.question,
            lead,
            [],
            sources,
            True,
            text,
            "extractive",
            self._suggest(roles, question),
            roles,
        )

    def _extractive(self, question: str, resolved: Resolved) -> Answer:
        return self._extractive_with_passages(question, resolved)[0]

    def _extractive_with_passages(self, question: str, resolved: Resolved) -> tuple[Answer, list[Document]]:
        """The extractive answer and the passages it came from, so the LLM path need not retrieve again."""
        known = set(self.roles())
        missing = [r for r in resolved.roles if r not in known]
        if missing and not any(r in known for r in resolved.roles):
            names = " and ".join(missing)
            reason = f"The knowledge base has no article about the {names} role yet."
            return self._decline(question, resolved, reason), []
        docs, ranked, covered = self._search(resolved)
        evidence = self._evidence(resolved, docs, ranked, covered)
        decision = self.scope.decide(evidence) if ranked else "decline"
        log.debug("scope %s from %s", decision, evidence)
        if decision == "decline":
            return self._decline(question, resolved), []
        parts = split_parts(resolved.question)
        chosen, uncovered = self._choose(parts, ranked, covered)
        if len(parts) > 1:
            # Each part was decided on its own: answered if any part is (partial when some are not).
            decision = "answer" if chosen else "gap"
        if decision == "gap":
            related = chosen[:2] or self.picker.pick(ranked, 2, 1)
            return self._gap(question, resolved, related, ranked, covered, uncovered), []
        points, sources = number_sources(chosen)
        lead = lead_line(chosen, sources, covered)
        first = self._not_covered(uncovered) if uncovered else None
        shown = f"{first}\n{lead}" if first else lead
        text = fit(shown, points, sources, self.cfg.max_chars, self.cfg.min_points)
        answer = Answer(
            question,
            resolved.question,
            first or lead,
            points,
            sources,
            True,
            text,
            "extractive",
            self._suggest(covered, question),
            covered,
            coverage="partial" if uncovered else "full",
            points_intro=lead if first else None,
        )
        return answer, docs

    def _choose(
        self, parts: Sequence[str], ranked: Sequence[Candidate], covered: list[str]
    ) -> tuple[list[Candidate], list[str]]:
        """The points (each with the sentence that only continues it), and what the articles do not
        cover. For a question of one part: the best of its sentences. For several parts: each part is
        scored and decided on its own, with the question's roles; a part the articles cover gives its
        best points, one they do not is named instead."""
        limit = self.cfg.max_points
        if len(parts) < 2:
            return with_continuations(self.picker.pick(ranked, limit, self.cfg.min_points), ranked, limit), []
        known = self.roles()
        chosen: list[Candidate] = []
        uncovered: list[str] = []
        share = max(1, self.cfg.max_points // len(parts))
        for part in parts:
            roles = [r for r in find_roles(part, known) if r in known] or list(covered)
            part_resolved = Resolved(part, tuple(roles))
            docs, part_ranked, roles = self._search(part_resolved)
            evidence = self._evidence(part_resolved, docs, part_ranked, roles)
            if not part_ranked or self.scope.decide(evidence) != "answer":
                uncovered.append(self._missing(part, part_ranked))
                continue
            fresh = [c for c in part_ranked if not any(c.text == o.text for o in chosen)]
            picked = self.picker.pick(fresh, share, 1, exclude=[c.vector for c in chosen])
            # Continuations from the part's own passages: passage numbers are per retrieval, so the
            # whole question's passage 3 is not this part's.
            chosen += with_continuations(picked, fresh, limit)
        return chosen[:limit], uncovered

    def _missing(self, question: str, ranked: Sequence[Candidate]) -> str:
        """The words of a question that no passage found for it addresses (bot.answer.scope.unmatched_span)."""
        best = best_sentences_terms([c.text for c in ranked])
        known = self._lexicon().speller.known
        return unmatched_span(
            self.understood(question),
            lambda t: t in best or bool(find_roles(t, self.roles())) or (len(t) < 4 and t not in known),
        )

    @staticmethod
    def _not_covered(spans: Sequence[str]) -> str:
        """'The articles don’t cover “a” or “b”.', or '... that.' when nothing can be named."""
        named = [f"“{s}”" for s in dict.fromkeys(spans) if s]
        return f"The articles don’t cover {' or '.join(named) if named else 'that'}."

    def _gap(
        self,
        question: str,
        resolved: Resolved,
        related: list[Candidate],
        ranked: Sequence[Candidate],
        covered: list[str],
        uncovered: Sequence[str] = (),
    ) -> Answer:
        """On topic, but no passage addresses what is asked: say so first, naming it (or, for a question
        of several parts, each part's `uncovered` words), and only then the closest related points,
        labelled as related rather than as an answer."""
        first = self._not_covered(uncovered or [self._missing(question, ranked)])
        points, sources = number_sources(related)
        intro = RELATED if points else None
        text = render(f"{first}\n{RELATED}", points, sources) if points else first
        return Answer(
            question,
            resolved.question,
            first,
            points,
            sources,
            True,
            text,
            "extractive",
            self._suggest(covered, question),
            covered,
            coverage="none",
            points_intro=intro,
        )

    async def ask(self, question: str, history: Sequence[str] = ()) -> Answer:
        """The answer for async front ends: extractive in a thread, or the LLM with extractive fallback."""
        if self.llm is None:
            return await asyncio.to_thread(self.ask_sync, question, history)
        return await self._ask_llm(question, history)

    async def _ask_llm(self, question: str, history: Sequence[str]) -> Answer:
        async with contextlib.aclosing(self.ask_stream(question, history)) as events:
            async for event in events:
                if isinstance(event, Final):
                    return event.answer
        raise RuntimeError("ask_stream ended without a Final answer")

    async def ask_stream(self, question: str, history: Sequence[str] = ()) -> AsyncGenerator[Partial | Final, None]:
        """Growing partial texts while an LLM writes, then exactly one Final; without an LLM only the Final.

        Front ends that can show an answer as it grows (Telegram drafts and edits) use this; `ask`
        is the same path without the partials. Any LLM failure ends in the extractive answer.
        """
        from bot.answer.llm import LLMUnavailable, cited_numbers

        llm = self.llm
        if llm is None:
            yield Final(await asyncio.to_thread(self.ask_sync, question, history))
            return
        question = " ".join(question.split())[:MAX_QUESTION_CHARS]
        resolved = await asyncio.to_thread(self._resolve, question, history)
        if history:
            try:
                condensed = await llm.condense(question, list(history)[-self.cfg.history_turns :])
                roles = await asyncio.to_thread(self.roles)
                resolved = Resolved(condensed, tuple(find_roles(condensed, roles)) or resolved.roles, True)
            except LLMUnavailable:
                log.warning("LLM condense failed; using the deterministic follow-up resolution")
        extractive, docs = await asyncio.to_thread(self._extractive_with_passages, question, resolved)
        if not extractive.in_scope or extractive.coverage != "full":  # coverage is retrieval's call, not the model's
            yield Final(extractive)
            return
        covered = extractive.roles
        passages, sources = self._numbered_by_article(docs)
        text = ""
        try:
            async with contextlib.aclosing(llm.stream(resolved.question, passages, list(history))) as stream:
                async for text in stream:
                    yield Partial(text)
        except LLMUnavailable:
            log.warning("LLM answer failed; falling back to the extractive answer")
            yield Final(extractive)
            return
        numbers = cited_numbers(text)
        cited = [s for s in sources if s.n in numbers] or sources
        footer = "\n".join(["", "Sources:", *[f"[{s.n}] {s.label()}" for s in cited]])
        answer = Answer(
            question,
            resolved.question,
            text.split("\n", 1)[0],
            [],
            cited,
            True,
            text.rstrip() + "\n" + footer,
            "llm",
            extractive.suggestions,
            covered,
        )
        yield Final(answer)

    @staticmethod
    def _numbered_by_article(docs: Sequence[Document]) -> tuple[list[Passage], list[Source]]:
        """Passages numbered by article, so [n] in the LLM's text maps straight to a source."""
        by_doc: dict[str, Source] = {}
        passages: list[Passage] = []
        for p in to_passages(docs):
            if p.doc_id not in by_doc:
                s = p.source
                by_doc[p.doc_id] = Source(len(by_doc) + 1, s.title, s.author, s.publisher, s.path, s.url)
            src = by_doc[p.doc_id]
            passages.append(replace(p, n=src.n, source=src))
        return passages, list(by_doc.values())

    # ----- briefs -----
    def rank_section(self, role: str, query: str) -> list[Candidate]:
        # A brief draws on the whole of its role's articles, not only the passages an answer would read.
        return self._search(Resolved(query, (role,)), wide=True)[1]

    def _role(self, name: str) -> str:
        known = self.roles()
        found = find_roles(name, known) or [name.strip().upper()]
        role = found[0]
        if role not in known:
            raise UnknownRoleError(
                f"No article is about the {role} role yet. Roles in the knowledge base: {', '.join(known) or 'none'}."
            )
        return role

    def brief_sync(self, role: str) -> Brief:
        """Cached per (role, live version): briefs change only with the version, and inline mode asks
        for one on every keystroke. Keyed by the role as resolved ("chief technology officer" is CTO)."""
        resolved = self._role(role)
        version = self.index.version().name
        with self._briefs_lock:
            found = self._briefs.get((resolved, version))
        if found is None:
            found = build_brief(self.rank_section, resolved)
            with self._briefs_lock:
                self._briefs = {k: v for k, v in self._briefs.items() if k[1] == version}
                self._briefs[(resolved, version)] = found
        return found

    def compare_sync(self, first: str, second: str) -> Comparison:
        return build_comparison(self.rank_section, self._role(first), self._role(second))

    async def brief(self, role: str) -> Brief:
        return await asyncio.to_thread(self.brief_sync, role)

    async def compare(self, first: str, second: str) -> Comparison:
        return await asyncio.to_thread(self.compare_sync, first, second)
