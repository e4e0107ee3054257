"""From a question to what an answer is composed from: the question as understood (typos corrected,
follow-ups resolved), its passages and best sentences, the roles it is about, and the scope signals
that decide whether the knowledge base covers it.

Everything here is blocking (embedding, Chroma); the advisor runs it in worker threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import NamedTuple

from langchain_core.documents import Document

from bot.answer.asked import asked_facets, asked_forms
from bot.answer.extractive import Candidate, SentencePicker, SentenceVectors, with_continuations
from bot.answer.followup import Resolved, resolve
from bot.answer.implied import ImpliedRole
from bot.answer.lexicon import Lexicon, LiveLexicon
from bot.answer.multipart import part_question
from bot.answer.passages import to_passages
from bot.answer.persons import about, person_asked
from bot.answer.retrieval import HybridRetriever, terms
from bot.answer.roles import find_roles
from bot.answer.scope import (
    QUESTION_WORDS,
    Evidence,
    best_sentences_terms,
    holds,
    name_parts_in,
    names_in,
    unmatched_span,
    weighted_share,
)
from bot.answer.settings import AdvisorSettings
from bot.answer.specific import asked, still_open
from ingest.chunking import units
from ingest.rolenames import neutral
from ingest.store.index import KnowledgeIndex

_PREPARED = 64
"""Vectors kept from the questions' batches (see QuestionSearch.prepare): a few questions' worth, for the threads
that answer at once."""
SPECIFIC_DEPTH = 5
"""How many of the best sentences may hold what a specific ask wants (a figure need not be the very best one)."""


class Found(NamedTuple):
    """What a search found: the passages, their sentences best first, and the known roles followed."""

    docs: list[Document]
    ranked: list[Candidate]
    roles: list[str]
    person: str | None = None
    """The person a "who is ...?" question asks about (bot.answer.persons), whose sentences alone were kept."""


def top_similarity(docs: Sequence[Document]) -> float:
    """The best cosine similarity of any retrieved passage to the question."""
    return max((float(d.metadata["dense_score"]) for d in docs if d.metadata["dense_score"] is not None), default=0)


class QuestionSearch:
    """Understands, retrieves and weighs a question against the live knowledge index."""

    def __init__(self, index: KnowledgeIndex, cfg: AdvisorSettings) -> None:
        self.index = index
        self.cfg = cfg
        self.retriever = HybridRetriever(index=index, k=cfg.k, fetch_k=cfg.fetch_k, max_per_article=cfg.max_per_article)
        self.implied = ImpliedRole(index.embedder.encode)
        self.picker = SentencePicker(SentenceVectors(index.embedder, index.unit_vectors), self.retriever.idf)
        self.lexicon = LiveLexicon(index)
        self._prepared: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def roles(self) -> list[str]:
        """Every role some article of the live version is about."""
        return self.index.roles()

    def words(self) -> Lexicon:
        """The live version's names, typo corrector and role facets."""
        return self.lexicon.get()

    def understood(self, question: str) -> str:
        """The question with its typos corrected against the articles' vocabulary."""
        return self.words().speller.correct(question)

    def resolve(self, question: str, history: Sequence[str]) -> Resolved:
        """The question as a standalone one: typos corrected, a follow-up completed from `history`."""
        turns = list(history)[-self.cfg.history_turns :] if self.cfg.history_turns else []
        understood = [self.understood(t) for t in turns]
        return resolve(self.understood(question), understood, self.roles(), self.words().names)

    def prepare(self, resolved: Resolved, parts: Sequence[str]) -> None:
        """Encodes in one batch what a question of several parts will be searched with: the whole and each part
        (asked about the question's named roles), in its role-neutral form (`search`). With the ONNX backend a batch
        saves only the calls' overhead (six questions: 18.8 ms in one batch against 21.3 ms one by one, measured
        2026-12-07); the encoding itself costs in step with the texts. A part asked another way later (about a
        role only implied) is encoded then, as before."""
        if len(parts) < 2:
            return
        asked = [resolved.question, *(part_question(p, list(resolved.roles)) for p in parts)]
        self._vectors([neutral(q) for q in asked])

    def _vectors(self, texts: Sequence[str]) -> list[list[float]]:
        """Each text's vector, from the prepared batch where it is there, else encoded now (in one call)."""
        with self._lock:
            found = {t: self._prepared[t] for t in texts if t in self._prepared}
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            found.update(zip(missing, self.index.embedder.embed_documents(missing), strict=True))
            with self._lock:
                self._prepared.update((t, found[t]) for t in missing)
                while len(self._prepared) > _PREPARED:
                    self._prepared.popitem(last=False)
        return [found[t] for t in texts]

    def search(self, resolved: Resolved, wide: bool = False) -> Found:
        """The question's passages, their sentences best first (the facet it asks for counting), and
        the known roles it is about (named, or clearly implied).

        Sentences are scored with the question's role-neutral form, and by default retrieval uses that vector
        too: one encode. A brief (`wide`) retrieves with the question as asked, role names in, as well: a second
        encode, which was most of what an answer cost beyond the benchmark's floor
        (a batch of two, 6.1-6.6 ms, against one, 3.1-3.8 ms). Answers were the same either way on every dev
        and test question (one gap's second related point aside); the scope's dense signal is not
        (`named_evidence`).
        """
        known = set(self.roles())
        covered = [r for r in resolved.roles if r in known]
        if wide:
            vector, neutral_vector = self._vectors([resolved.question, neutral(resolved.question)])
        else:
            (neutral_vector,) = self._vectors([neutral(resolved.question)])
            vector = neutral_vector
        # A question that names no role may still mean one ("the MD who championed the EHR"): the
        # answer then follows that role as if it were named (retrieval, the scope's role signal, the lead).
        implied = None if resolved.roles else self.implied.of(vector, self.roles(), resolved.question)
        follow = covered or ([implied] if implied else None)
        # A brief reads widely in its role's articles: more passages, and more of them from one article.
        k = 2 * self.cfg.k if wide else None
        docs = self.retriever.invoke(resolved.question, roles=follow, vector=vector, k=k, max_per_article=k)
        if implied and self._hides_a_name(resolved.question, docs):
            # A name of the knowledge base's own ("SFIA categories?") says where to look: a role guessed
            # from the rest of the words must not hide the article that holds it.
            follow = None
            docs = self.retriever.invoke(resolved.question, roles=None, vector=vector, k=k, max_per_article=k)
        wanted = asked_facets(resolved.question)
        forms = asked_forms(resolved.question)
        ranked = self.picker.candidates(resolved.question, to_passages(docs), neutral_vector, wanted, forms)
        person = person_asked(resolved.question, self.words().names)
        if person:  # "Who is Bonnie Siegel?": only what is said of her, never another author's bio
            ranked = about(person, ranked)
        return Found(docs, ranked, list(follow or []), person)

    def decided(self, resolved: Resolved, decide: Callable[[Evidence], str]) -> tuple[Found, Evidence, str]:
        """The search, its scope evidence and `decide`'s verdict ("answer", "gap" or "decline"). Where the
        neutral form's evidence does not answer, the scope decides on `named_evidence`: a second encode and one
        nearest-neighbour query, for the questions that are not answered at once."""
        found = self.search(resolved)
        evidence = self.evidence(resolved, found)
        verdict = decide(evidence) if found.ranked else "decline"
        if verdict != "answer" and found.ranked:
            evidence = self.named_evidence(resolved, found, evidence)
            verdict = decide(evidence)
        return found, evidence, verdict

    def named_evidence(self, resolved: Resolved, found: Found, evidence: Evidence) -> Evidence:
        """`evidence` with its dense signal read with the question as asked, role names in, as the scope model
        was fitted (and is: `python -m bot.quality.calibrate`): the neutral form sits further from passages
        that name the role (0.40 -> 0.19 for one question about a CTO)."""
        if neutral(resolved.question) == resolved.question:
            return evidence
        (vector,) = self._vectors([resolved.question])
        return replace(evidence, dense=self.retriever.top_similarity(vector, found.roles or None))

    def _hides_a_name(self, question: str, docs: Sequence[Document]) -> bool:
        """Whether the question names something of the knowledge base that none of `docs` holds."""
        named = names_in(question, self.words().names, self.roles())
        return len(names_in(" ".join(d.page_content for d in docs), frozenset(named))) < len(named)

    def evidence(self, resolved: Resolved, found: Found) -> Evidence:
        """The scope signals (bot.answer.scope) for a question and what retrieval found for it."""
        vocabulary = self.retriever.keyword().idf
        known = self.words().speller.known
        # A short word that neither the articles nor the model know ("wht", "yrs") says nothing either way.
        words = [
            t
            for t in terms(neutral(resolved.question))
            if t != "executive" and t not in QUESTION_WORDS and (len(t) >= 4 or t in vocabulary or t in known)
        ]
        best = best_sentences_terms([c.text for c in found.ranked])
        names = self.words().names
        return Evidence(
            dense=top_similarity(found.docs),
            sentence=max((c.similarity for c in found.ranked), default=0.0),
            known=weighted_share(words, vocabulary.__contains__, self.retriever.idf),
            matched=weighted_share(words, holds(best), self.retriever.idf),
            entity=1.0
            if names_in(resolved.question, names, self.roles()) or name_parts_in(resolved.question, names)
            else 0.0,
            role=1.0 if found.roles else 0.0,
            specific=1.0 if self.unanswered(resolved.question, found.ranked) else 0.0,
        )

    def after(self, cand: Candidate) -> Candidate | None:
        """The sentence after `cand` when `cand` ends its passage: the first new one of the article's next
        chunk. A chunk boundary can fall between "Be sure to check out SFIA" and "It is a good resource that
        breaks down technology skills into six categories and 96 skills", which the next chunk holds."""
        passage = cand.passage
        if passage.chunk < 0 or passage.continued is False or cand.position != len(units(passage.text)) - 1:
            return None  # the ingest stored that the next chunk does not finish it: nothing to read
        hit = self.retriever.keyword().chunk_at(passage.doc_id, passage.chunk + 1)
        if hit is None:
            return None
        fresh = [(i, u) for i, u in enumerate(units(hit.text)) if u.text not in passage.text]  # past any overlap
        if not fresh:
            return None
        position, unit = fresh[0]
        nxt = replace(to_passages([Document(page_content=hit.text, metadata=hit.metadata)])[0], n=-passage.n)
        facet = nxt.facet(position)
        return Candidate(unit.text, nxt, cand.score, cand.similarity, cand.vector, unit.item, position, facet)

    def unanswered(self, question: str, ranked: Sequence[Candidate]) -> list[str]:
        """The question's words for the specific things it asks (a salary range, a reporting line) that the
        sentences an answer would quote do not hold (bot.answer.specific)."""
        asks = asked(question)
        if not asks:  # most questions: no sentence to read, and no next chunk to fetch for it
            return []
        # With what continues them: "Be sure to check out SFIA" ends a chunk, and the count ("six categories
        # and 96 skills") opens the next.
        top = list(ranked[:SPECIFIC_DEPTH])
        shown = with_continuations(top, ranked, self.after)
        return still_open(asks, [t for c in shown for t in (*c.before, c.text, *c.after)])

    def missing(self, question: str, ranked: Sequence[Candidate]) -> str:
        """The words of a question that no passage found for it addresses: the specific thing it asks for
        when there is one ("salary range"), else its unmatched words (bot.answer.scope.unmatched_span)."""
        asked = self.unanswered(self.understood(question), ranked)
        if asked:
            return asked[0]
        held = holds(best_sentences_terms([c.text for c in ranked]))
        known = self.words().speller.known
        return unmatched_span(
            self.understood(question),
            lambda t: held(t) or bool(find_roles(t, self.roles())) or (len(t) < 4 and t not in known),
        )
