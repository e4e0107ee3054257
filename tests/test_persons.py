"""Questions about a person the articles name (bot.answer.persons): only what is said of that person is
quoted, an author no sentence speaks of gets the byline, and a surname or place alone is a name too."""

from __future__ import annotations

import pytest

from bot.answer.advisor import Advisor
from bot.answer.persons import mentions, person_asked
from bot.answer.scope import name_parts_in
from bot.settings import Settings
from tests.fakes import FakeOpenAI
from tests.llm_cases import make_answerer
from tests.llm_fixtures import srv_fixture  # noqa: F401

NAMES = frozenset(
    {"bonnie siegel", "hillary ross", "david raths", "chris wood", "maywood illinois", "the rise", "sfia"}
)


@pytest.mark.parametrize(
    ("question", "person"),
    [
        ("Who is Bonnie Siegel?", "bonnie siegel"),
        ("ok and who's David Raths?", "david raths"),
        ("Tell me about Chris Wood", "chris wood"),
        ("Is Bonnie Siegel a recruiter?", "bonnie siegel"),
        ("What does Hillary Ross do at Witt/Kieffer?", "hillary ross"),
        ("What does Chris Wood say about the CMIO role?", None),  # his words, not who he is
        ("What is SFIA?", None),
    ],
)
def test_a_question_about_a_person_is_known_by_its_ask_and_the_name(question: str, person: str | None) -> None:
    assert person_asked(question, NAMES) == person


def test_a_person_is_mentioned_by_a_part_of_the_name() -> None:
    assert mentions("chris wood", "“This isn’t an implementation job,” Dr. Wood says.")
    assert not mentions("bonnie siegel", "She is an experienced healthcare information technology consultant.")


def test_a_surname_or_place_alone_counts_as_a_name_when_capitalised() -> None:
    assert name_parts_in("What did Raths write about?", NAMES) == ["Raths"]
    assert name_parts_in("Where is Maywood?", NAMES) == ["Maywood"]
    assert name_parts_in("Does Raths’ article matter?", NAMES) == ["Raths"]
    assert name_parts_in("what did raths write", NAMES) == []  # no capital: may be an ordinary word
    assert name_parts_in("How do I handle the Rise in attacks?", NAMES) == []


def test_who_is_an_author_gets_the_byline_not_the_other_authors_bio(built: tuple[Settings, Advisor]) -> None:
    _, advisor = built
    answer = advisor.ask_sync("Who is Bonnie Siegel?")
    assert answer.in_scope and answer.text.startswith("Bonnie Siegel wrote “The Health System CTO")
    assert "She is an experienced" not in answer.text and "Hillary Ross" not in answer.text
    assert [s.author for s in answer.sources] == ["Bonnie Siegel"]


def test_who_is_a_person_the_articles_name_quotes_only_what_names_them(built: tuple[Settings, Advisor]) -> None:
    _, advisor = built
    answer = advisor.ask_sync("Who is David Raths?")
    assert answer.in_scope and answer.points
    assert all(mentions("david raths", p.text) for p in answer.points)


@pytest.mark.parametrize("question", ["What did Raths write about?", "Where is Maywood?"])
def test_a_surname_or_place_of_the_articles_is_never_declined(built: tuple[Settings, Advisor], question: str) -> None:
    _, advisor = built
    assert advisor.ask_sync(question).in_scope


async def test_llm_mode_gives_the_byline_and_refusals_without_the_model(
    built: tuple[Settings, Advisor], srv: FakeOpenAI
) -> None:
    """No passage speaks of the author and nothing is asked of the articles: the model is not asked."""
    settings, extractive = built
    advisor = Advisor(settings, extractive.index, make_answerer(srv))
    byline = await advisor.ask("Who is Bonnie Siegel?")
    assert byline.text.startswith("Bonnie Siegel wrote “The Health System CTO") and byline.mode == "extractive"
    joke = await advisor.ask("Tell me a joke about CTOs.")
    assert not joke.in_scope and "jokes" in joke.lead
    assert srv.requests == []
