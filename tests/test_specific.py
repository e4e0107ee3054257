"""Specific asks (bot.answer.specific): a question that wants a figure, a reporting line or a timeline is a gap
unless the sentences an answer would quote hold that kind of thing; an admin's article that does makes it an
answer, with no code change."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer.specific import unanswered
from ingest.embedding.factory import Embedder
from tests.conftest import MakeSettings

EXPERIENCE = "The hiring manager ideally wants someone with 5-plus years of applicable experience."
NO_FIGURE = "A CTO from outside of healthcare may be willing to take perhaps less compensation."


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("What's a typical base salary range for a health system CTO?", "base salary range"),
        ("Should our CMIO report to the CIO or to the CMO?", "report to"),
        ("How long does a CTO search usually take?", "How long does a CTO search"),
        ("How many interview rounds are typical?", "interview rounds"),
        ("Does the CMIO keep seeing patients?", "seeing patients"),
        ("Must a CMIO be board certified in clinical informatics?", "certified in clinical informatics"),
        ("Which EHR vendor should our CTO know best?", "Which EHR"),
        ("Recommend a good EHR vendor for a 200-bed hospital.", "Recommend a good EHR vendor"),
        ("What fee does a search firm charge?", "fee does a search firm"),
        ("what's her fee?", "fee"),
        ("what would the CMIO earn?", "earn"),
        ("How much do CTOs get paid?", "How much do CTOs get paid"),
        ("Do CTOs usually get equity?", "equity"),
        ("How many months does it usually take to fill the CMIO seat?", "How many months"),
        ("Does the CTO need an MBA?", "MBA"),
        ("ok and what should we pay the CTO?", "what should we pay"),
        ("How big a team does a CMIO lead?", "How big a team"),
        ("What budget does a CTO usually manage?", "What budget"),
        ("What's the turnover rate for CTOs?", "turnover"),
        ("How long do CMIOs typically stay in the role?", "How long do CMIOs typically stay"),
    ],
)
def test_a_specific_ask_no_sentence_holds_is_named_in_the_questions_own_words(question: str, named: str) -> None:
    assert unanswered(question, [EXPERIENCE, NO_FIGURE]) == [named]


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("What's a typical CTO salary?", "Health-system CTOs earn a base salary of $420,000 to $560,000."),
        ("Who does the CMIO report to?", "The CMIO reports to the chief medical officer."),
        ("How long does a CTO search take?", "A CTO search typically takes four to six months."),
        ("How long has the CMIO role been around?", "The CMIO role has been in place for well over a decade."),
        ("How many years of experience should a CTO have?", EXPERIENCE),
        ("Does the CMIO need a medical degree?", "Chris Wood, M.D., is CMIO at Loyola University Health System."),
        ("How big a team does a CTO run?", "Most CTOs run a team of 40 people."),
    ],
)
def test_a_sentence_that_holds_the_thing_asked_answers_it(question: str, sentence: str) -> None:
    assert unanswered(question, [sentence]) == []


def test_years_of_experience_need_a_number_of_years_not_any_duration() -> None:
    decade = "The CMIO role has been in place for well over a decade."
    question = "How many years of experience should a CMIO have?"
    assert unanswered(question, [decade]) == ["years of experience"]
    assert unanswered(question, [EXPERIENCE]) == []


def test_one_of_the_most_is_no_count() -> None:
    most = "One of the most critical executive positions in healthcare is the CMIO."
    assert unanswered("How many CMIOs does a health system have?", [most]) == ["How many CMIOs"]
    assert unanswered("How many CMIOs does a health system have?", ["Most have one CMIO."]) == []


@pytest.mark.parametrize(
    "question",
    [
        "Would a CTO from outside healthcare take a pay cut?",  # a yes/no about pay, not a figure
        "What should I look for in a CTO?",
        "What does a CMIO do?",
        "What budget skills should a CTO have?",  # a quality the articles list, not a budget's size
        "Should we sell the hospital to a private equity group?",  # an owner, not pay
        "How does a CMIO advance health equity?",
        "Should the CTO lead our diversity, equity and inclusion work?",
    ],
)
def test_a_question_that_asks_no_specific_thing_is_left_to_the_other_signals(question: str) -> None:
    assert unanswered(question, [EXPERIENCE]) == []


def test_an_article_that_gives_the_figure_turns_the_gap_into_an_answer(
    make_settings: MakeSettings, kb: Path, embedder: Embedder
) -> None:
    """The same salary question: a gap on the shipped articles (naming what was asked), an answer once an
    admin adds an article with salary figures."""
    from bot.answer.advisor import Advisor
    from ingest.pipeline import Ingestor
    from ingest.store.index import KnowledgeIndex

    question = "What's a typical base salary range for a health system CTO?"
    settings = make_settings()
    Ingestor(settings, embedder).run()
    advisor = Advisor(settings, KnowledgeIndex(settings, embedder))
    try:
        before = advisor.ask_sync(question)
        assert before.in_scope and before.coverage == "none"
        assert before.text.startswith("The articles don’t cover “base salary range”.")
    finally:
        advisor.index.close()

    (kb / "cto-pay.md").write_text(
        "---\ntitle: What Health Systems Pay Their CTOs\nauthor: Test Recruiter\npublisher: Our Team\n"
        "roles: [CTO]\n---\n\n## CTO salary ranges\n\nIn our 2026 survey, a health-system CTO earned a base salary "
        "of $420,000 to $560,000, with a bonus of 20 to 30 percent. Larger systems pay at the top of that range.\n",
        encoding="utf-8",
    )
    Ingestor(settings, embedder).run()
    advisor = Advisor(settings, KnowledgeIndex(settings, embedder))
    try:
        after = advisor.ask_sync(question)
        assert after.in_scope and after.coverage == "full", after.text[:200]
        assert "$420,000" in after.text
    finally:
        advisor.index.close()


def test_an_interview_with_a_person_is_no_interview_round() -> None:
    """The CMIO article's "an interview with Chris Wood, M.D." once answered "How many interview rounds for a
    CMIO?", and the count was named as "How many interview"."""
    source = "Raths has also written a follow-up article on the topic, based on an interview with Chris Wood, M.D."
    assert unanswered("How many interview rounds for a CMIO?", [source]) == ["interview rounds"]
    assert unanswered("How many interview rounds for a CMIO?", ["Most searches run three interview rounds."]) == []


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("How many candidates should we shortlist?", "How many candidates"),
        ("How many finalist slates do firms send?", "How many finalist slates"),
        ("How many skills does SFIA list?", "How many skills"),
    ],
)
def test_a_count_is_named_by_what_is_counted(question: str, named: str) -> None:
    assert unanswered(question, [NO_FIGURE]) == [named]
