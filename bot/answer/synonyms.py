"""Everyday words for the articles' own terms ("suppliers" for "vendors", "haggle" for "negotiate"), added to a
question's keywords so that BM25 and the sentences' shared-word score see the word the article uses.

A short hand-written table, not a thesaurus: WordNet does not link these ("bargain" is not "negotiate" there), and a
general thesaurus adds senses that mislead ("provider" is a hospital in healthcare). Words only, after the keyword
fold (ingest.keywords.terms); each maps to the article's folded term.
"""

from __future__ import annotations

from collections.abc import Iterable

ARTICLE_TERMS: dict[str, tuple[str, ...]] = {
    "supplier": ("vendor",),
    "seller": ("vendor",),
    "agreement": ("contract",),
    "deal": ("contract", "negotiate"),
    "haggle": ("negotiate",),
    "bargain": ("negotiate",),
    "laugh": ("humor",),
    "funny": ("humor",),
    "humour": ("humor",),
    "secret": ("confidentiality",),
    "discreet": ("confidentiality",),
    "discretion": ("confidentiality",),
    "honest": ("ethic",),
    "honesty": ("ethic",),
    "integrity": ("ethic",),
    "gripe": ("complaint",),
    "grievance": ("complaint",),
    "patchwork": ("heterogeneou",),
    "mixed": ("heterogeneou",),
    "tenure": ("year", "experience"),
    "army": ("military",),
    "navy": ("military",),
    "armed": ("military",),
    "veteran": ("military",),
    "defense": ("military",),
    "defence": ("military",),
    "agency": ("government",),
    "federal": ("government",),
    "uncertainty": ("ambiguou",),
    "murky": ("ambiguou",),
    "peacemaker": ("diplomat", "mediator"),
    "plan": ("roadmap",),
    "important": ("critical",),
    "vital": ("critical",),
}


def with_article_terms(found: Iterable[str]) -> list[str]:
    """`found` (folded keywords) and, after them, the article's terms for any everyday word among them."""
    words = list(found)
    extra = [t for w in words for t in ARTICLE_TERMS.get(w, ()) if t not in words]
    return words + list(dict.fromkeys(extra))
