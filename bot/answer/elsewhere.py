"""Claims borrowed from a passage the sentence does not cite: a run of three content words that another
passage given to the model holds and the cited ones do not, or a run of two of which the cited text holds
neither word ("fresh insight", "transitional phase").

Why: an LLM given several passages often states a true fact of one under the citation of another
("First-generation CMIOs engaged physicians and staff", cited to the passage on their implementation work).
The words are the articles' own, so the sentence's words meet the cited text's closely and MiniLM likens the
two; but the citation vouches for a passage that does not say it. A run of three content words is specific
enough that a paraphrase of the cited passage seldom shares one with another passage by chance, and so is a
pair of words the cited text lacks both of (calibrate pairs, session 19: the runs of three fired on 20
unsupported sentences the model kept and on 1 supported one; the pairs on 18 more, and 1 supported).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from bot.answer.claims import content_words
from bot.answer.retrieval import STOPWORDS, stem

_WORD = re.compile(r"[A-Za-z0-9]+(?:[-'’][A-Za-z0-9]+)*")
_RUN = 3
_GENERIC = frozenset(
    {"may", "can", "will", "would", "should", "must", "could", "might"}
    | {"health", "healthcare", "system", "systems", "organization", "organizations", "role", "roles"}
)
"""Words a run may not hold besides stopwords and framing: modal verbs, and the nouns every article here is
about ("health system", "role"), which a paraphrase repeats from the question as freely as from any passage."""
_ROLE = re.compile(r"c[a-z]{1,3}os?")


@lru_cache(maxsize=1024)
def _runs(text: str, size: int = _RUN) -> dict[tuple[str, ...], str]:
    """Each run of `size` consecutive content words (stopwords skipped) by its stems, with its words as written.
    A run holds no role acronym, no generic word and no name (a capitalised word after the first): names are
    the name check's, and "Dr. Wood sees" frames a claim rather than making one. Cached: every sentence of an
    answer is checked against the same passages (callers only read the result)."""
    words = []
    for i, word in enumerate(_WORD.findall(text)):
        low, named = word.lower(), bool(i and word[0].isupper())
        if low in STOPWORDS and not named:
            continue  # but "IT" in "senior IT executives" is a name, not "it": it breaks the run
        plain = not named and low not in _GENERIC and not _ROLE.fullmatch(low)
        words.append((low, plain and bool(content_words(low))))  # framing ("article", "candidates") breaks a run
    out: dict[tuple[str, ...], str] = {}
    for i in range(len(words) - size + 1):
        run = words[i : i + size]
        if all(plain for _, plain in run):
            out.setdefault(tuple(stem(w) for w, _ in run), " ".join(w for w, _ in run))
    return out


def borrowed(sentence: str, cited: str, elsewhere: Sequence[str]) -> list[str]:
    """The sentence's runs that an uncited passage holds and the cited text (passages and sources) does not:
    of three words, or of two words neither of which the cited text holds."""
    if not elsewhere:
        return []
    own = {**_runs(sentence), **_runs(sentence, 2)}
    known = {stem(w) for w in _WORD.findall(cited.lower())}
    # A run of three whose words the cited text holds in another order ("written and verbal communication" for
    # "communication (verbal and written)") restates it; a pair needs neither word there.
    found = {
        run
        for run in own.keys() - _runs(cited).keys()
        if not set(run) <= known and (len(run) == _RUN or not known & set(run))
    }
    if not found:
        return []
    other = set().union(*(_runs(text).keys() | _runs(text, 2).keys() for text in elsewhere))
    return sorted(f"from an uncited passage: {own[run]}" for run in found & other)
