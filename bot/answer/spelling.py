"""Typos in questions, corrected against the knowledge base's own vocabulary before retrieval.

"experiance" and "simlar" match no passage word for word, and dense similarity drops with every typo.
A word is corrected only when neither the knowledge base nor the embedding model's tokenizer knows it
(so "salary", which no article uses, is never turned into an article's word), and only into a word
of the articles that is close enough (rapidfuzz's ratio). The answer then shows what was understood.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz, process

from ingest.lexicon import WORD, word_counts

MIN_LENGTH = 4
"""Shorter words are too ambiguous to correct ("hav", "frm")."""
MIN_SIMILARITY = 80.0
"""rapidfuzz's ratio (0-100) a correction needs: one or two letters wrong in a word of 5 to 12."""


SHORTHAND = {
    "yrs": "years",
    "yr": "year",
    "exp": "experience",
    "1st": "first",
    "2nd": "second",
    "gen": "generation",
    "gens": "generations",
    "mgmt": "management",
    "mgr": "manager",
    "quals": "qualifications",
    "reqs": "requirements",
    "govt": "government",
    "dept": "department",
    "org": "organization",
    "orgs": "organizations",
    "exec": "executive",
    "execs": "executives",
    "diff": "difference",
    "info": "information",
    "w/": "with",
    "w/o": "without",
    "b/c": "because",
}
"""Chat shorthand, written out: not typos (no edit distance finds "years" from "yrs"), and a short, standard
list, so a table is exact where a fuzzy match would guess."""
_SHORTHAND = re.compile(
    r"(?<![\w/])(" + "|".join(re.escape(k) for k in sorted(SHORTHAND, key=len, reverse=True)) + r")(?![\w/])",
    re.IGNORECASE,
)

_DERIVED = ("ists", "ist", "isms", "ism", "ians", "ian", "ical", "ics", "ness", "ments", "ment", "ity")
"""Endings that make a new word from a known one ("technologist" from "technology"): such a word is English,
not a typo, though the tokenizer has no piece for it whole."""
_BASE_ENDINGS = ("", "y", "e", "ic", "ical", "ize", "ion", "ate", "al")
_ABLE = ("abilities", "ability", "ably", "able")
"""Endings that make an adjective of a known word as it is ("answerable" from "answer": it had been read as
"transferable"). Only the word as it is: "managable" is a typo of "manageable", not "manage" made an adjective."""
MIN_STEM = 5
MIN_ABLE_STEM = 2
"""A known word as it is may be short ("doable" from "do" had been read as "adorable")."""
_INFLECTIONS = ("s", "es", "ed", "ing", "ly", "er", "ers")
"""Endings of a known word's own forms ("earns" from "earn"): the tokenizer has no piece for many whole, and
"If a CTO earns 300k" was read as "learns"."""
MIN_INFLECTED_STEM = 3


class Speller:
    """Corrects the unknown words of a question into the articles' words; deterministic."""

    def __init__(self, counts: Mapping[str, int], lexicon: frozenset[str]) -> None:
        """`counts`: the articles' lower-cased words, in order of first appearance (ingest.lexicon, stored at
        ingest); `lexicon`: the model tokenizer's whole words."""
        # Most frequent first, so a tie between two equally close words goes to the commoner one (and
        # between two as common, to the first seen: most_common keeps the order of equal counts).
        self.words = [w for w, _ in Counter(counts).most_common() if len(w) >= MIN_LENGTH]
        self.known = frozenset(counts) | lexicon
        # The model's own words, as candidates too: "explane" is "explain" (which no article uses), not
        # the articles' "expanded"; a correction into a word the model knows still embeds as meant.
        self.english = sorted(w for w in lexicon - frozenset(counts) if len(w) >= MIN_LENGTH)

    @classmethod
    def from_texts(cls, kb_texts: Iterable[str], lexicon: frozenset[str]) -> Speller:
        """Counting the texts' words here (tests, and versions whose lexicon was not stored)."""
        return cls(word_counts(kb_texts), lexicon)

    def knows(self, lowered: str) -> bool:
        """A word of the articles or the model, or one derived from such a word ("technologist")."""
        if lowered in self.known:
            return True
        for ending in _INFLECTIONS:
            stem = lowered[: -len(ending)]
            if lowered.endswith(ending) and len(stem) >= MIN_INFLECTED_STEM:
                # "earns", "hired" (hire + ed less an e), "planning" (plan, its consonant doubled), "cities" (city)
                forms = (stem, stem + "e", stem[:-1] if stem[-1:] == stem[-2:-1] else "", stem[:-1] + "y")
                if any(f in self.known for f in forms if len(f) >= MIN_INFLECTED_STEM):
                    return True
        for ending in _ABLE:
            stem = lowered[: -len(ending)]
            if lowered.endswith(ending) and len(stem) >= MIN_ABLE_STEM and stem in self.known:
                return True
        for ending in _DERIVED:
            stem = lowered[: -len(ending)]
            if lowered.endswith(ending) and len(stem) >= MIN_STEM:
                return any(stem + base in self.known for base in _BASE_ENDINGS)
        return False

    def word(self, word: str) -> str:
        lowered = word.lower()
        if len(lowered) < MIN_LENGTH or self.knows(lowered):
            return word
        match = process.extractOne(lowered, self.words, scorer=fuzz.ratio, score_cutoff=MIN_SIMILARITY)
        if match is None or lowered == f"{match[0]}s":  # "whats", "ctos": an apostrophe left out, not a typo
            return word
        corrected = str(match[0])
        other = process.extractOne(lowered, self.english, scorer=fuzz.ratio, score_cutoff=match[1] + 0.01)
        if other is not None:  # a word the articles do not use is clearly closer: that is what was meant
            corrected = str(other[0])
        return corrected.upper() if word.isupper() else corrected

    def correct(self, question: str) -> str:
        """The question with its shorthand written out ("yrs" -> "years") and each unknown word replaced by
        its closest article word, if one is close."""
        question = _SHORTHAND.sub(lambda m: SHORTHAND[m.group().lower()], question)
        return WORD.sub(lambda m: self.word(m.group()), question)
