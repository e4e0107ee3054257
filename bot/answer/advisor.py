"""The advisor: one object every front end (CLI, console chat, Telegram) asks, and nothing else.

It resolves follow-ups, retrieves, decides whether the knowledge base covers the question, and
composes an extractive answer (or an LLM answer, falling back to extractive on any LLM failure).
Blocking work (embedding, Chroma) runs in a worker thread so async callers never stall their loop.

What it composes from: bot.answer.intent (brief, comparison or answer?), bot.answer.search (the question
understood, its passages and scope evidence), bot.answer.gaps (declines and gaps), bot.answer.offers
(suggested questions), bot.answer.known_roles (which role a name means), bot.answer.briefs and, when an
LLM is configured, bot.answer.llm_path.

When the knowledge store cannot be read, every method raises one of STORE_DOWN (from ingest.store.index,
within seconds); front ends tell the user UNAVAILABLE and keep running, and the next question tries
the store again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.documents import Document

from bot.answer.agents import Parser
from bot.answer.briefs import Brief, Comparison, build_brief, build_comparison
from bot.answer.choosing import PointChooser
from bot.answer.composing import fit, lead_line, number_sources, shorter
from bot.answer.extractive import Candidate
from bot.answer.followup import Resolved
from bot.answer.gaps import decline, gap, not_covered
from bot.answer.grounding import Guard
from bot.answer.intent import refusal, route
from bot.answer.known_roles import UnknownRoleError, resolve_role
from bot.answer.llm_path import LLMPath
from bot.answer.multipart import split_parts
from bot.answer.offers import FACETS, facet_questions, follow_ups
from bot.answer.persons import byline
from bot.answer.provenance import asks_for_source, source_answer
from bot.answer.scope import Evidence, ScopeModel, default_model
from bot.answer.search import QuestionSearch
from bot.answer.settings import AnswerSettings
from bot.answer.types import Answer, Final, Partial, Source
from ingest.errors import NoLiveVersionError, StoreUnavailableError
from ingest.store.index import Health, KnowledgeIndex

if TYPE_CHECKING:
    from bot.answer.llm import LLMAnswerer

__all__ = ["FACETS", "MAX_QUESTION_CHARS", "STORE_DOWN", "UNAVAILABLE", "Advisor", "UnknownRoleError"]

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
UNAVAILABLE = "The knowledge base is temporarily unavailable, please try again in a minute."
"""What every front end tells a user when the advisor raises one of STORE_DOWN."""
STORE_DOWN = (StoreUnavailableError, NoLiveVersionError)
"""The knowledge store cannot be read right now: a stopped Chroma server, a missing live version."""


class Advisor:
    """Answers, briefs and comparisons from the live knowledge index."""

    def __init__(
        self,
        settings: AnswerSettings,
        index: KnowledgeIndex,
        llm: LLMAnswerer | None = None,
        scope: ScopeModel | None = None,
        *,
        llm_factory: Callable[[], LLMAnswerer] | None = None,
        llm_fallback: str | None = None,
    ) -> None:
        """`llm`, `llm_factory` and `llm_fallback` are bot.answer.llm_path.LLMPath's: a built answerer, one
        built on the first question, or why the configured one cannot be used."""
        self.settings = settings
        self.cfg = settings.advisor
        self.index = index
        self.scope = scope or default_model()
        self.search = QuestionSearch(index, self.cfg)
        self.retriever = self.search.retriever
        self.implied = self.search.implied
        self.picker = self.search.picker
        self.chooser = PointChooser(self.search, self.scope, self.cfg)
        guard = Guard(index.embedder.encode, parser=Parser())
        self.llm = LLMPath(guard, self.cfg.history_turns, llm, llm_factory, llm_fallback)
        self._briefs: dict[tuple[str, str], Brief] = {}
        self._briefs_lock = threading.Lock()
        self._followed: str | None = None

    @property
    def uses_llm(self) -> bool:
        """Whether answers go through the LLM path (front ends stream drafts only then)."""
        return self.llm.enabled

    async def aclose(self) -> None:
        """Close what the LLM path opened (its HTTP connections); call it on the event loop that asked."""
        await self.llm.aclose()

    # ----- the knowledge base -----
    def roles(self) -> list[str]:
        """Every role some article of the live version is about (blocking)."""
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

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised vectors from the embedding model answers use (blocking), for the toolkit's CV check:
        one model per process, and callers need not know the index behind the advisor."""
        return self.index.embedder.encode(texts)

    def warm_up(self) -> None:
        """Load the model, open the live version and build the keyword index before the first user."""
        self.retriever.keyword()
        self.ask_sync("What should I look for in a CTO?")

    def follow_live(self) -> None:
        """Open the version live now, with its keyword statistics and lexicon, and search it once (Chroma
        loads a collection's vector index on its first query), if not done yet (blocking; cheap when
        nothing changed: a stat, or a pointer read in server mode). The bot calls it in the background
        (bot.telegram.follow), so the first question after a new version goes live finds it ready."""
        version = self.index.version().name
        if version != self._followed:
            self.retriever.keyword()
            self.search.words()
            self.retriever.invoke("What should I look for in a CTO?")
            self._followed = version

    def names(self) -> frozenset[str]:
        """The articles' names (people, organisations, frameworks, numbers) that mark a question as theirs."""
        return self.search.words().names

    def understood(self, question: str) -> str:
        """The question with its typos corrected against the articles' vocabulary."""
        return self.search.understood(question)

    def evidence(self, question: str, history: Sequence[str] = ()) -> Evidence | None:
        """What the scope decision sees for a question (for `python -m bot.quality.calibrate`); None when it is
        declined before any evidence is looked at (only roles no article is about, nothing asked, or something
        quoting cannot make, an instruction to the advisor), or answered with a brief or a comparison."""
        resolved = self.search.resolve(" ".join(question.split()), history)
        known = set(self.roles())
        if not resolved.question or (resolved.roles and not any(r in known for r in resolved.roles)):
            return None
        if refusal(question):
            return None
        if route(question, [r for r in resolved.roles if r in known]) != "answer":
            return None  # a brief or a comparison: no scope decision is made for it
        found = self.search.search(resolved)  # as an answer searches, so calibration sees what runs
        return self.search.named_evidence(resolved, found, self.search.evidence(resolved, found))

    def suggestions(self, role: str) -> list[str]:
        """The facet questions we offer about `role` (bot.answer.offers.facet_questions)."""
        return facet_questions(role, self.search.words().role_facets.get(role))

    def _suggest(self, roles: Sequence[str], question: str) -> list[str]:
        """One or two follow-ups we know the knowledge base can answer."""
        offered = [f for f in self.suggestions(roles[0]) if f.lower() != question.lower()] if roles else []
        return follow_ups(offered, roles, self.roles())

    # ----- answering -----
    def ask_sync(self, question: str, history: Sequence[str] = ()) -> Answer:
        """The extractive answer (blocking), from one version of the knowledge base."""
        with self.index.pinned():
            return self._ask(question, history)

    def _ask(self, question: str, history: Sequence[str]) -> Answer:
        question = " ".join(question.split())[:MAX_QUESTION_CHARS]
        if not question:
            return decline(question, "", self.roles(), "Please ask a question.")
        resolved = self.search.resolve(question, history)
        # "Who wrote that?" asks of the previous answer; "and the CMIO one?" after "Who wrote the CTO
        # article?" is completed first, into a question about the CMIO's.
        provenance = self._provenance(question, history) or (
            self._provenance(resolved.question, ()) if resolved.carried else None
        )
        if provenance is not None:
            return replace(provenance, question=question, resolved_question=resolved.question)
        known = [r for r in resolved.roles if r in self.roles()]
        asked = route(question, known)
        if asked == "compare":
            comparison = self.compare_sync(*known)
            answer = self._as_answer(question, resolved, comparison.text, comparison.sources, known)
        elif asked == "brief":
            brief = self.brief_sync(known[0])
            answer = self._as_answer(question, resolved, brief.text, brief.sources, known)
        else:
            answer = self._extractive(question, resolved)[0]
        answer = self._showing_understood(answer)
        return replace(answer, fallback=self.llm.fallback) if self.llm.fallback else answer

    def _provenance(self, question: str, history: Sequence[str]) -> Answer | None:
        """Who wrote it (bot.answer.provenance); the previous answer is found again from the user's turns."""
        return source_answer(question, history, self.roles(), self.index, self.ask_sync)

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

    def _extractive(self, question: str, resolved: Resolved) -> tuple[Answer, list[Document]]:
        """The extractive answer and the passages it came from, so the LLM path need not retrieve again."""
        known = set(self.roles())
        missing = [r for r in resolved.roles if r not in known]
        if missing and not any(r in known for r in resolved.roles):
            names = " and ".join(missing)
            reason = f"The knowledge base has no article about the {names} role yet."
            return decline(question, resolved.question, self.roles(), reason), []
        refused = refusal(question)
        if refused:
            return decline(question, resolved.question, self.roles(), refused), []
        parts = split_parts(resolved.question, self.roles())
        self.search.prepare(resolved, parts)
        found, evidence, decision = self.search.decided(resolved, self.scope.decide)
        ranked, covered = found.ranked, found.roles
        written = byline(found.person, question, resolved.question, found.docs) if found.person and not ranked else None
        if written:  # no passage for a model to write from: the byline is the whole answer
            return written, []
        log.debug("scope %s from %s", decision, evidence)
        if decision == "decline":
            return decline(question, resolved.question, self.roles()), []
        chosen, uncovered, part_firsts = self.chooser.choose(parts, ranked, covered)
        if len(parts) > 1:
            # Each part was decided on its own: answered if any part is (partial when some are not).
            decision = "answer" if chosen else "gap"
        if decision == "gap":
            related = chosen[:2] or self.picker.pick(ranked, 2, 1)
            spans = uncovered or [self.search.missing(question, ranked)]
            suggestions = self._suggest(covered, question)
            return gap(question, resolved.question, spans, related, suggestions, covered), []
        points, sources = number_sources(chosen)
        lead = lead_line(chosen, sources, covered)
        # A role the question names with no article ("How should a CNIO work with the CMIO?") is said first.
        absent = f"The knowledge base has no article about the {' or '.join(missing)} role yet." if missing else ""
        first = " ".join(x for x in (absent, not_covered(uncovered) if uncovered else "") if x) or None
        shown = f"{first}\n{lead}" if first else lead
        # By text: with_continuations may replace a first point by a copy carrying the sentences it points back to.
        firsts = [i for i, c in enumerate(chosen) if any(c.text == f.text for f in part_firsts)]
        text = fit(shown, points, sources, self.cfg.max_chars, self.cfg.min_points, firsts, shorter(chosen))
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
            coverage="partial" if uncovered or missing else "full",
            points_intro=lead if first else None,
        )
        return answer, found.docs

    async def ask(self, question: str, history: Sequence[str] = ()) -> Answer:
        """The answer for async front ends: extractive in a thread, or the LLM with extractive fallback."""
        if not self.uses_llm:
            return await asyncio.to_thread(self.ask_sync, question, history)
        return await self._ask_llm(question, history)

    async def _ask_llm(self, question: str, history: Sequence[str]) -> Answer:
        """The Final of `ask_stream`, its partials dropped."""
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
        llm = await asyncio.to_thread(self.llm.built) if self.llm.enabled else None
        if llm is None or asks_for_source(question):  # "who wrote that?" needs no model: the sources say
            yield Final(await asyncio.to_thread(self.ask_sync, question, history))
            return
        question = " ".join(question.split())[:MAX_QUESTION_CHARS]
        resolved = await asyncio.to_thread(self.search.resolve, question, history)
        if history:
            resolved = await self.llm.condensed(llm, question, history, resolved, await asyncio.to_thread(self.roles))
        extractive, docs = await asyncio.to_thread(self._extractive, question, resolved)
        if not extractive.in_scope or extractive.coverage != "full" or not docs:  # retrieval's call, not the model's
            yield Final(extractive)
            return
        async with contextlib.aclosing(self.llm.write(llm, resolved, extractive, docs, history)) as events:
            async for event in events:
                yield event

    # ----- briefs -----
    def rank_section(self, role: str, query: str) -> list[Candidate]:
        """A brief section's sentences about `role`, best first: a brief draws on the whole of its role's
        articles, not only the passages an answer would read."""
        return self.search.search(Resolved(query, (role,)), wide=True).ranked

    def role(self, name: str) -> str:
        """The known role a user's `name` for it means (bot.answer.known_roles.resolve_role)."""
        return resolve_role(name, self.roles())

    def brief_sync(self, role: str) -> Brief:
        """Cached per (role, live version): briefs change only with the version, and inline mode asks
        for one on every keystroke. Keyed by the role as resolved ("chief technology officer" is CTO)."""
        with self.index.pinned():  # the brief is of the version it is cached under
            resolved = self.role(role)
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
        """Two roles side by side (blocking); UnknownRoleError when no article is about one of them."""
        return build_comparison(self.rank_section, self.role(first), self.role(second))

    async def brief(self, role: str) -> Brief:
        """`brief_sync` in a worker thread, for async front ends."""
        return await asyncio.to_thread(self.brief_sync, role)

    async def compare(self, first: str, second: str) -> Comparison:
        """`compare_sync` in a worker thread, for async front ends."""
        return await asyncio.to_thread(self.compare_sync, first, second)
