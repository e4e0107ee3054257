"""Questions about where answers come from ("who wrote that?", "who wrote the CTO article?"): answered
from the articles' own front matter, never by quoting sentences that happen to hold "wrote" or "article"."""

from __future__ import annotations

import pytest

from bot.answer.advisor import Advisor
from bot.answer.provenance import asks_for_all, asks_for_source
from bot.settings import Settings
from tests.fakes import FakeOpenAI
from tests.llm_cases import make_answerer
from tests.llm_fixtures import srv_fixture  # noqa: F401

CTO = "cto-role-bonnie-siegel.md"
CMIO = "cmio-next-generation-hillary-ross.md"


@pytest.mark.parametrize(
    "question",
    [
        "who wrote that?",
        "ok, who wrote this?",
        "What's the source?",
        "Which article is that from?",
        "where did that come from?",
        "Where's that from?",
        "sources?",
        "who's the author of the CMIO piece?",
        "Which firm published the CMIO article?",
        "Who wrote the article on the CMIO role?",
        "Which firm do the authors work for?",
        "who do the authors work for?",
    ],
)
def test_asks_for_a_source(question: str) -> None:
    assert asks_for_source(question)


@pytest.mark.parametrize(
    "question",
    [
        "who said that?",  # the speaker a quote names ("Dr. Wood says"), an answer's job
        "what is the source of CTO candidates?",
        "where do CTO candidates come from?",
        "Who is Chris Wood?",
        "who wrote the Rise of the Second-Generation CMIO?",  # an article the text cites: the text says
        "which article talks about SFIA?",
        "who should write the job description?",
        "Which firm does a CTO work for?",
    ],
)
def test_other_questions_are_not_asks_for_a_source(question: str) -> None:
    assert not asks_for_source(question)


def test_these_articles_means_all_of_them() -> None:
    assert asks_for_all("who wrote these articles?") and asks_for_all("what are your sources?")
    assert not asks_for_all("who wrote that?")


def test_who_wrote_that_names_the_previous_answers_article(built: tuple[Settings, Advisor]) -> None:
    _, advisor = built
    previous = advisor.ask_sync("What makes second-generation CMIOs different?")
    assert [s.path for s in previous.sources] == [CMIO]
    answer = advisor.ask_sync("who wrote that?", ["What makes second-generation CMIOs different?"])
    assert answer.in_scope and answer.coverage == "full" and not answer.points
    assert [s.path for s in answer.sources] == [CMIO]
    assert answer.text.startswith("That came from Hillary Ross’s “CMIOs in Healthcare")
    assert "(Witt/Kieffer)" in answer.text and "Sources:\n[1] CMIOs in Healthcare" in answer.text
    assert answer.question == "who wrote that?"


def test_who_wrote_the_role_article_names_it_and_a_follow_up_switches_role(built: tuple[Settings, Advisor]) -> None:
    _, advisor = built
    cto = advisor.ask_sync("Who wrote the CTO article?")
    assert cto.text.startswith("The CTO article is Bonnie Siegel’s “The Health System CTO")
    assert [s.path for s in cto.sources] == [CTO] and cto.roles == ["CTO"]
    # Completed from the conversation into "Who wrote the CMIO article?"
    cmio = advisor.ask_sync("And the CMIO one?", ["Who wrote the CTO article?"])
    assert cmio.text.startswith("The CMIO article is Hillary Ross’s") and [s.path for s in cmio.sources] == [CMIO]
    assert cmio.resolved_question == "Who wrote the CMIO article?"


def test_these_articles_lists_every_article(built: tuple[Settings, Advisor]) -> None:
    _, advisor = built
    answer = advisor.ask_sync("who wrote these articles?", ["What does a CTO do?"])
    assert answer.text.startswith("The knowledge base has 2 articles:")
    assert sorted(s.path for s in answer.sources) == sorted([CTO, CMIO])
    assert [s.n for s in answer.sources] == [1, 2]


def test_after_a_decline_there_is_no_source_to_name(built: tuple[Settings, Advisor]) -> None:
    _, advisor = built
    assert not advisor.ask_sync("What is 17 times 23?").in_scope
    answer = advisor.ask_sync("where is that from?", ["What is 17 times 23?"])
    assert not answer.in_scope and answer.text.startswith("My previous reply quoted no article.")


def test_a_role_no_article_is_about_is_declined_as_before(built: tuple[Settings, Advisor]) -> None:
    _, advisor = built
    answer = advisor.ask_sync("Who wrote the CFO article?")
    assert not answer.in_scope and "no article about the CFO role" in answer.text


async def test_llm_mode_answers_it_without_the_model(built: tuple[Settings, Advisor], srv: FakeOpenAI) -> None:
    settings, extractive = built
    advisor = Advisor(settings, extractive.index, make_answerer(srv))
    assert advisor.uses_llm
    answer = await advisor.ask("who wrote that?", ["What makes second-generation CMIOs different?"])
    assert answer.text.startswith("That came from Hillary Ross’s") and answer.mode == "extractive"
    assert srv.requests == []
