"""Everyday words for the articles' own terms (bot.answer.synonyms)."""

from __future__ import annotations

from bot.answer.advisor import Advisor
from bot.answer.synonyms import with_article_terms
from bot.settings import Settings
from ingest.keywords import terms


def test_an_everyday_word_brings_the_articles_term_after_the_questions_own() -> None:
    assert with_article_terms(terms("who haggles with suppliers")) == ["haggle", "supplier", "negotiate", "vendor"]
    assert with_article_terms(["vendor", "supplier"]) == ["vendor", "supplier"]  # the article's word once
    assert with_article_terms(terms("what does a CTO do")) == terms("what does a CTO do")
    assert "military" in with_article_terms(terms("a candidate who ran computing for the Army"))
    assert "ambiguou" in with_article_terms(terms("keeping calm amid uncertainty"))
    assert "roadmap" in with_article_terms(terms("who draws up the long-range plan?"))


def test_a_question_in_everyday_words_finds_the_articles_sentence(built: tuple[Settings, Advisor]) -> None:
    answer = built[1].ask_sync("Does our tech chief haggle with suppliers over agreements?")
    assert answer.in_scope and "negotiate contracts" in answer.points[0].text
    funny = built[1].ask_sync("Should our CTO be funny?")  # "sense of humor": it had opened on the role's growth
    assert funny.in_scope and "sense of humor" in funny.points[0].text
