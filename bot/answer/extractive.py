"""The default answerer: the knowledge base's own sentences, chosen for the question, with citations.

No LLM, so nothing is invented: the only words that are ours are the lead's connecting words and the
footer. Sentences are scored against the question with the same embedding model as the index (their
vectors are cached, so a warm answer costs little more than the search), plus a small bonus for
shared rare words. The same input always gives the same output.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.answer.asked import names_author, points_elsewhere, shows_form
from bot.answer.kinds import about_a_kind, asked_kinds, asks_now, compared_side, compares, other_kind, subject_rank
from bot.answer.predicates import asked_kind_of_job, says_kind_of_job
from bot.answer.retrieval import terms
from bot.answer.synonyms import with_article_terms
from bot.answer.types import Passage
from ingest.chunking import POINTS_BACK, Unit, units
from ingest.embedding.factory import Embedder
from ingest.rolenames import neutral
from ingest.sentences import scored_text

LEXICAL_WEIGHT = 0.6
FACET_WEIGHT = 0.1
"""Added to a sentence of the facet the question asks for ("look for" → the article's qualities)."""
FORM_WEIGHT = 0.2
"""Added to a sentence that gives the form of answer asked for: a reason for "why?", a speaker for "who said
that?", a number for "how many?" (bot.answer.asked)."""
GENERIC = "the executive role"
"""Any role's name as neutral() writes it: a sentence close to this talks about the role itself ("The CMIO role
has been in place for well over a decade ..."), which suits many questions a little and few of them well."""
GENERIC_WEIGHT = 0.2
"""How much that closeness counts against a sentence leading the answer (chosen on dev: 0.2 and 0.3 alike)."""
OPENER_RATIO = 0.85
"""Only a kept point scoring within this share of the best, and of the best one's article, may open: particular is
not relevant. A weak but particular sentence (the author's biography for "What makes a good CMIO candidate?") must
not lead, nor another article's ("First-generation CMIOs had significant responsibility ..." for "What
responsibilities does Bonnie Siegel list?"): which article answers is the score's choice. On dev, 0.85 lost nothing
against no bound (0.9: top-1 -0.7); the same-article rule cost one dev item (top-1 65.2 -> 64.5)."""
LEAD_WEIGHT = 0.1
"""Added to a sentence of the wanted facet that opens a list ("The CTO is responsible for managing ... Here are
some examples:"): the author's own summary of what the list's items detail. On dev: answered 79.7 -> 80.7, top-1
61.6 -> 63.6 (0.2 and 0.3 answered fewer)."""
KIND_WEIGHT = 0.5
"""Taken from a sentence about another kind of what the question asks about ("First-generation CMIOs had ..."
for "what about the second generation?"): bot.answer.kinds. Enough to keep it out (0.3 left it second on dev)."""
SIDE_WEIGHT = 0.1
"""Added to a sentence about the side a then-and-now question asks about ("how are newer ones different?")."""
KIND_BOOST = 0.3
"""Added to a sentence whose subject is a kind ("Second-generation CMIOs tend to ...") when the question sets a
then against a now ("how do today's ones differ from the pioneers?"): the answer is both sides, and the model
does not see "pioneers" in "first-generation". On dev: answered 81.3 -> 84.3, top-1 63.9 -> 65.1 (0.2: 83.3;
0.4: 84.3, no better)."""
FORM_WEIGHTS = {"variation": 0.5, "growth": 0.3}
"""A form whose cue words hardly occur but where they do, answer outright ("organization-dependent" for "does it
vary place to place?", which MiniLM puts at 0.12-0.2): more than FORM_WEIGHT. On dev: answered 84.9 -> 86.2,
top-1 65.5 -> 66.3 (0.3 and 0.4: the same answers, top-1 65.5). Growth ("has grown, both in demand and status" for
"why has the seat become more important?") must outweigh a reason, which such a question also asks for and a
rival sentence holds ("because the talent demand is so huge"): on dev top-1 71.7 -> 72.6 (0.2: no change)."""
POINTER_WEIGHT = 0.3
"""Taken from how particular a sentence is when it only sends the reader elsewhere (bot.answer.asked.points_elsewhere)
and the question does not ask what to read: it may be kept as a point, but does not open the answer. "I encourage you
to read Raths' article, 'The Rise of the Second-Generation CMIO'" shares the words of any second-generation question
and opened 7 dev answers whose key sentence it is not. On dev: top-1 66.4 -> 68.8, nothing else moved. Taken from
the score instead (so it could drop out of an answer), dev was the same but the held-out answer rate fell by one
question (0.837 -> 0.830, unread which): an opener's choice cannot lose a fact."""
JOB_WEIGHT = 0.3
"""Added to a sentence saying the role is, or is not, the kind of job a yes/no question asks about
(bot.answer.predicates). On dev: answered 88.5 -> 89.2 (0.2 and 0.5 the same answers)."""
# A point is kept only if it scores within this share of the best one: one strong point beats three weak.
KEEP_RATIO = 0.75


class SentenceVectors:
    """Embeddings of quoted sentences: the ones the ingest stored for each chunk (ingest.sentences), else
    computed once and kept (LRU), for an index built before they were stored."""

    def __init__(
        self,
        embedder: Embedder,
        stored: Callable[[Sequence[str]], dict[str, np.ndarray]] = lambda _: {},
        capacity: int = 50_000,
    ) -> None:
        self.embedder = embedder
        self.stored = stored
        self.capacity = capacity
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def of_units(self, pieces: Sequence[tuple[Unit, Passage, int]], counts: dict[str, int]) -> np.ndarray:
        """One row per (unit, its passage, its place in units(passage.text)): the stored row of the unit's
        chunk where the ingest stored one, else its scored text embedded. `counts`: the number of units
        of each passage's chunk, by content hash."""
        # A matrix that does not fit the chunk's units (never expected) is not trusted: those are embedded.
        stored = {h: m for h, m in self.stored(list(counts)).items() if len(m) == counts[h]}
        missing = [scored_text(u, p.headings) for u, p, _ in pieces if p.content_hash not in stored]
        fresh = iter(self.get(missing) if missing else ())
        rows = [stored[p.content_hash][i] if p.content_hash in stored else next(fresh) for _, p, i in pieces]
        return np.stack(rows) if rows else np.zeros((0, 1), dtype=np.float32)

    def get(self, sentences: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha1(s.encode(), usedforsecurity=False).hexdigest() for s in sentences]
        with self._lock:
            missing = list(dict.fromkeys(s for s, k in zip(sentences, keys, strict=True) if k not in self._cache))
        if missing:
            fresh = np.asarray(self.embedder.embed_documents(missing), dtype=np.float32)
            with self._lock:
                for sentence, vector in zip(missing, fresh, strict=True):
                    self._cache[hashlib.sha1(sentence.encode(), usedforsecurity=False).hexdigest()] = vector
                while len(self._cache) > self.capacity:
                    self._cache.popitem(last=False)
        with self._lock:
            for key in keys:
                self._cache.move_to_end(key)
            return np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, 1), dtype=np.float32)


@dataclass(frozen=True)
class Candidate:
    text: str
    passage: Passage
    score: float
    similarity: float
    vector: np.ndarray
    listed: bool = False
    """An item of the article's own list (under an intro line such as "key qualities ... may include:")."""
    position: int = 0
    """Where the sentence stands in its passage, so the one after it can be found."""
    facet: str = ""
    """What the sentence is about (ingest.facets), as tagged at ingest; "" for an index without facets."""
    particular: float = 0.0
    """Its score less its closeness to the role in general: of the points kept, the one with the best `particular`
    opens the answer, so the first point is the most particular answer, not the role's introduction."""
    before: tuple[str, ...] = ()
    """The sentences before it that its opening pronoun needs, quoted with it in one point."""
    after: tuple[str, ...] = ()
    """The sentence after it that only continues it ("It breaks down ..."), quoted with it in one point."""


class SentencePicker:
    """Ranks the sentences of retrieved passages for a question and picks distinct ones."""

    def __init__(self, vectors: SentenceVectors, idf: Callable[[str], float] = lambda _: 1.0) -> None:
        self.vectors = vectors
        self.idf = idf
        self._generic: np.ndarray | None = None

    def generic(self) -> np.ndarray:
        """The embedding of GENERIC, computed once (the model is loaded by then: a question was embedded);
        not through the sentence cache, whose rows are the articles' sentences."""
        if self._generic is None:
            self._generic = np.asarray(self.vectors.embedder.embed_documents([GENERIC])[0], dtype=np.float32)
        return self._generic

    def candidates(
        self,
        question: str,
        passages: Sequence[Passage],
        neutral_vector: Sequence[float],
        wanted: frozenset[str] = frozenset(),
        forms: frozenset[str] = frozenset(),
    ) -> list[Candidate]:
        """Every quotable sentence of the passages, best first; `neutral_vector` is the embedding of
        neutral(question), which the caller computes together with the retrieval vector. A sentence of
        a facet the question asks for (`wanted`, bot.answer.asked) ranks higher."""
        split = [(p, units(p.text)) for p in passages]
        pieces = [(u, p, i) for p, found in split for i, u in enumerate(found) if not u.text.rstrip().endswith(":")]
        if not pieces:
            return []
        leads = {(p.n, i) for p, found in split for i in range(len(found)) if heads_list(found, i)}
        kinds = asked_kinds(question)
        comparing = compares(question)
        job = asked_kind_of_job(question)
        texts = {(p.n, i): u.text for p, found in split for i, u in enumerate(found)} if kinds else {}
        side = compared_side(question) if comparing else ("now" if asks_now(question) else None)
        ranks = [r for r in (subject_rank(u.text) for u, _, _ in pieces) if r is not None] if side else []
        wanted_rank = (max(ranks) if side == "now" else min(ranks)) if ranks else None
        query = np.asarray(neutral_vector, dtype=np.float32)
        # A list item is scored under its section heading (ingest.sentences.scored_text).
        vecs = self.vectors.of_units(pieces, {p.content_hash: len(found) for p, found in split if p.content_hash})
        sims = vecs @ query
        general = vecs @ self.generic()
        # Shared words count by rarity: "framework" or "day" says more than "health" or "system". The role's
        # neutral name and "candidate" are left out: every hiring question names a candidate, so the word says
        # nothing of which sentence answers ("What should I look for in a CTO candidate?" opened with "A good
        # CTO candidate can come from a healthcare IT vendor", issue 13's own example).
        asked_terms = set(with_article_terms(terms(neutral(question)))) - {"executive", "candidate"}
        weights = {t: self.idf(t) for t in asked_terms}
        total = sum(weights.values()) or 1.0
        out = []
        for (unit, passage, position), sim, vec, gen in zip(pieces, sims, vecs, general, strict=True):
            words = set(terms(unit.text))
            overlap = sum(w for t, w in weights.items() if t in words) / total
            facet = passage.facet(position)
            score = float(sim) + LEXICAL_WEIGHT * overlap + (FACET_WEIGHT if facet in wanted else 0.0)
            score += LEAD_WEIGHT if facet in wanted and (passage.n, position) in leads else 0.0
            if kinds and other_kind(kinds, _chain(unit.text, passage.n, position, texts)):
                score -= KIND_WEIGHT
            score += KIND_BOOST if comparing and about_a_kind(unit.text) else 0.0
            score += SIDE_WEIGHT if wanted_rank is not None and subject_rank(unit.text) == wanted_rank else 0.0
            score += JOB_WEIGHT if job and says_kind_of_job(job, unit.text) else 0.0
            shown = [
                f
                for f in forms
                if shows_form(f, unit.text)
                or (f == "examples" and unit.item)
                or (f == "author" and names_author(unit.text, passage.source.author))
            ]
            score += max((FORM_WEIGHTS.get(f, FORM_WEIGHT) for f in shown), default=0.0)
            pointer = POINTER_WEIGHT if "reading" not in forms and points_elsewhere(unit.text) else 0.0
            particular = score - GENERIC_WEIGHT * float(gen) - pointer
            out.append(Candidate(unit.text, passage, score, float(sim), vec, unit.item, position, facet, particular))
        # sorted() is stable: equal scores keep passage rank, then position in the passage.
        return sorted(out, key=lambda c: -c.score)

    def pick(
        self,
        ranked: Sequence[Candidate],
        limit: int,
        minimum: int,
        exclude: Sequence[np.ndarray] = (),
        best: float | None = None,
    ) -> list[Candidate]:
        """Best first, each distinct from those already chosen; weak ones (against `best`, by default the first
        score) only to reach `minimum`. The kept
        point that says most in particular (`Candidate.particular`) opens: which points are kept is the score's
        choice, what comes first is that one's (on dev: top-1 precision +3.9, answers unchanged)."""
        chosen: list[Candidate] = []
        taken = list(exclude)
        if best is None:
            best = ranked[0].score if ranked else 0.0
        for cand in ranked:
            if len(chosen) >= limit:
                break
            if any(float(cand.vector @ v) > 0.9 for v in taken):
                continue
            if cand.score < best * KEEP_RATIO and len(chosen) >= minimum:
                break
            chosen.append(cand)
            taken.append(cand.vector)
        if chosen:
            top = chosen[0]
            near = [c for c in chosen if c.score >= OPENER_RATIO * top.score and c.passage.doc_id == top.passage.doc_id]
            opener = max(near, key=lambda c: c.particular)  # max() keeps the first of equals: the best score
            chosen.remove(opener)
            chosen.insert(0, opener)
        return chosen


def heads_list(found: Sequence[Unit], i: int) -> bool:
    """Whether unit i is a sentence that a list follows, directly or after an intro line ("Here are some
    examples:"): the sentence the list details."""
    unit = found[i]
    if unit.item or unit.text.rstrip().endswith(":"):
        return False
    rest = found[i + 1 : i + 3]
    if rest and rest[0].text.rstrip().endswith(":"):
        rest = rest[1:]
    return bool(rest) and rest[0].item


_SUBJECT_BACK = re.compile(r"^[^.“”\"]{0,120}?,\s(?:they|it|he|she)\s(?:were|was|are|is|had|has|have|worked|tend)\b")
"""A sentence whose subject, after an opening clause, points back: "As I discussed with ..., they were strong
in implementation" says nothing of whom without the sentence before it."""


def needs_before(sentence: str) -> bool:
    """Whether a sentence opens by pointing back ("They worked on ...", "As I discussed ..., they were ..."):
    quoted alone, it says nothing of whom."""
    return bool(POINTS_BACK.match(sentence) or _SUBJECT_BACK.match(sentence))


_THE_DONE = re.compile(r"^(?:\S+\s+){0,6}?the ([a-z]+ed) [a-z]+", re.IGNORECASE)


def refers_back(sentence: str, before: str) -> bool:
    """Whether a sentence opens by naming, with "the" and a participle, what the one before it said was done:
    "In larger health systems, the expanded areas will have their own specialized leader." after "... has
    expanded to include more areas ...". Hand-written: a grammatical pattern, not a library's."""
    found = _THE_DONE.match(sentence)
    return found is not None and found.group(1).lower() in before.lower()


def _chain(text: str, n: int, position: int, texts: dict[tuple[int, int], str]) -> list[str]:
    """A sentence and the ones before it that its opening pronoun needs (at most two back), as _antecedents."""
    chain = [text]
    while len(chain) < 3 and needs_before(chain[-1]) and (n, position - len(chain)) in texts:
        chain.append(texts[(n, position - len(chain))])
    return chain


def _antecedents(cand: Candidate, nearby: dict[tuple[int, int], Candidate]) -> list[Candidate]:
    """The sentences before `cand` that its opening pronoun needs, nearest last (at most two back), or the one
    whose deed it names ("In larger health systems, the expanded areas ..." needs "... has expanded to ...")."""
    found: list[Candidate] = []
    current = cand
    while len(found) < 2:
        before = nearby.get((current.passage.n, current.position - 1))
        if before is None or not (needs_before(current.text) or refers_back(current.text, before.text)):
            break
        found.insert(0, before)
        current = before
    return found


def with_continuations(
    chosen: Sequence[Candidate],
    ranked: Sequence[Candidate],
    beyond: Callable[[Candidate], Candidate | None] = lambda _: None,
) -> list[Candidate]:
    """Each chosen sentence with the sentences it needs, quoted in the same point: the next one of its passage
    when that one only continues it ("Be sure to check out SFIA" means little without "It ... breaks down
    technology skills into six categories and 96 skills"), and the ones before when it opens by pointing back
    ("They worked on an important and critical operational level" needs "First-generation CMIOs had ...").
    One point per thought: as a bullet of its own, a continuation read as a second, weaker point (on dev, 159
    of 1,467 points). `beyond` gives the sentence after a passage's last one (the next chunk's)."""
    following = {(c.passage.n, c.position): c for c in ranked}
    hosts = _hosts(chosen, following)
    tails = dict(hosts.values())
    out: list[Candidate] = []
    shown: set[int] = set()
    for i in range(len(chosen)):
        # A sentence that points back to another chosen one is quoted after it, at the better place of the two:
        # "In larger health systems, the expanded areas ..." ranked first for "which duties were added?" opens,
        # after the sentence it needs ("The traditional CTO role ... has expanded to include ...").
        h = hosts[i][0] if i in hosts else i
        if h in shown:
            continue
        shown.add(h)
        cand = chosen[h]
        needed = tuple(b.text for b in _antecedents(cand, following))
        if needed and not any(c.text in needed for c in [*out, *chosen]):
            cand = replace(cand, before=needed)
        if h in tails:
            out.append(replace(cand, after=tails[h]))
            continue
        after = following.get((cand.passage.n, cand.position + 1)) or beyond(cand)
        if after is not None and (POINTS_BACK.match(after.text) or refers_back(after.text, cand.text)):
            quoted = [t for c in [*out, *chosen] for t in (*c.before, c.text, *c.after)]
            if after.text not in quoted:
                cand = replace(cand, after=(after.text,))
        out.append(cand)
    return out


def _hosts(
    chosen: Sequence[Candidate], nearby: dict[tuple[int, int], Candidate]
) -> dict[int, tuple[int, tuple[str, ...]]]:
    """For each chosen sentence that points back to another chosen one (its host): the host's place, and what is
    quoted after the host (the sentences between, then it). One guest per host; a host is no guest."""
    place = {c.text: i for i, c in enumerate(chosen)}
    found: dict[int, tuple[int, tuple[str, ...]]] = {}
    for g, cand in enumerate(chosen):
        needed = [b.text for b in _antecedents(cand, nearby)]
        inside = [j for j, t in enumerate(needed) if place.get(t, g) != g]
        if not inside:
            continue
        host = place[needed[inside[-1]]]
        taken = {h for h, _ in found.values()} | set(found)
        if host not in taken and g not in taken:
            found[g] = (host, (*needed[inside[-1] + 1 :], cand.text))
    return found
