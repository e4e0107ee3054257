"""Typos in questions, corrected against the knowledge base's own vocabulary before retrieval.

"experiance" and "simlar" match no passage word for word, and dense similarity drops with every typo.
A word is corrected only when neither the knowledge base nor the embedding model's tokenizer knows it
(so "salary", which no article uses, is never turned into an article's word), and only into a word
of the articles that is close enough (rapidfuzz's ratio). The answer then shows what was understood.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from rapidfuzz import fuzz, process

_WORD = re.compile(r"[A-Za-z]+")
MIN_LENGTH = 4
"""Shorter words are too ambiguous to correct ("hav", "frm")."""
MIN_SIMILARITY = 80.0
"""rapidfuzz's ratio (0-100) a correction needs: one or two letters wrong in a word of 5 to 12."""


class Speller:
    """Corrects the unknown words of a question into the articles' words; deterministic."""

    def __init__(self, kb_texts: Iterable[str], lexicon: frozenset[str]) -> None:
        counts = Counter(w.lower() for text in kb_texts for w in _WORD.findall(text))
        # Most frequent first, so a tie between two equally close words goes to the commoner one.
        self.words = [w for w, _ in counts.most_common() if len(w) >= MIN_LENGTH]
        self.known = frozenset(counts) | lexicon

    def word(self, word: str) -> str:
        lowered = word.lower()
        if len(lowered) < MIN_LENGTH or lowered in self.known:
            return word
        match = process.extractOne(lowered, self.words, scorer=fuzz.ratio, score_cutoff=MIN_SIMILARITY)
        if match is None or lowered == f"{match[0]}s":  # "whats", "ctos": an apostrophe left out, not a typo
            return word
        corrected = str(match[0])
        return corrected.upper() if word.isupper() else corrected

    def correct(self, question: str) -> str:
        """The question with each unknown word replaced by its closest article word, if one is close."""
        return _WORD.sub(lambda m: self.word(m.group()), question)
