"""LLM mode for interview kits (issue 17): the model phrases each criterion's questions; the criterion, its
citation, the probe and the red flags stay; an unusable reply or a failed call keeps the templates."""

from __future__ import annotations

import pytest

from bot.answer.advisor import Advisor
from bot.settings import Settings
from bot.toolkit.phrasing import parse_questions
from bot.toolkit.service import Toolkit
from tests.fakes import FakeOpenAI
from tests.fakes.openai_server import Messages
from tests.llm_cases import make_answerer
from tests.llm_fixtures import srv_fixture  # noqa: F401

TWO = "Tell me about a time you led a planning effort across many vendors?\nHow would you plan our network work?"


def test_two_plain_questions_are_taken_without_their_numbering() -> None:
    assert parse_questions("1. Tell me about a time you managed a budget?\n2) How would you cut our costs?") == (
        "Tell me about a time you managed a budget?",
        "How would you cut our costs?",
    )


@pytest.mark.parametrize(
    "reply",
    [
        "Tell me about a time you managed a budget?",  # one question
        TWO + "\nAnd a third question, for good measure?",
        "Tell me about a time you managed a budget?\nThe CTO must have a doctorate.",  # a claim, not a question
        "Tell me about a time you managed a budget?\nWould you read https://evil.example first?",
        "Tell me about a time you managed a budget [1]?\nHow would you cut our costs?",
    ],
)
def test_anything_but_two_plain_questions_is_refused(reply: str) -> None:
    assert parse_questions(reply) is None


@pytest.fixture
def toolkit_with_llm(built: tuple[Settings, Advisor], srv: FakeOpenAI) -> Toolkit:
    settings, advisor = built
    return Toolkit(Advisor(settings, advisor.index, make_answerer(srv)))


async def test_the_model_phrases_the_questions_and_the_criteria_stay_cited(
    toolkit_with_llm: Toolkit, srv: FakeOpenAI
) -> None:
    srv.reply = TWO
    template = toolkit_with_llm.kit("CTO")
    kit = await toolkit_with_llm.phrased(template)
    assert kit.mode == "llm" and "phrased by the configured language model" in kit.text
    for before, after in zip(template.competencies, kit.competencies, strict=True):
        assert after.questions == tuple(TWO.split("\n"))
        assert after.criterion == before.criterion and after.probe == before.probe
        assert after.red_flags == before.red_flags
    assert kit.to_json()["sources"] == template.to_json()["sources"]
    # The model sees one criterion at a time and nothing else of the articles.
    request = srv.requests[0]["messages"][-1]["content"]
    assert request.count("Criterion:") == 1


async def test_an_unusable_reply_keeps_the_template_questions(toolkit_with_llm: Toolkit, srv: FakeOpenAI) -> None:
    srv.reply = "The ideal CTO has 25 years at a famous clinic."
    template = toolkit_with_llm.kit("CTO")
    assert await toolkit_with_llm.phrased(template) is template


async def test_a_failing_model_keeps_the_template_questions(toolkit_with_llm: Toolkit, srv: FakeOpenAI) -> None:
    srv.fail_with = 500
    template = toolkit_with_llm.kit("CTO")
    kit = await toolkit_with_llm.phrased(template)
    assert kit is template and kit.mode == "template"


async def test_a_reply_usable_for_some_criteria_only_mixes_model_and_template(
    toolkit_with_llm: Toolkit, srv: FakeOpenAI
) -> None:
    def reply(messages: Messages) -> str:
        return TWO if "responsible" in str(messages[-1]["content"]) else "no"

    srv.reply = reply
    template = toolkit_with_llm.kit("CTO")
    kit = await toolkit_with_llm.phrased(template)
    assert kit.mode == "llm"
    for before, after in zip(template.competencies, kit.competencies, strict=True):
        expected = tuple(TWO.split("\n")) if "responsible" in before.criterion.text else before.questions
        assert after.questions == expected


async def test_without_an_llm_the_kit_is_the_template_kit(built: tuple[Settings, Advisor]) -> None:
    toolkit = Toolkit(built[1])
    template = toolkit.kit("CTO")
    assert await toolkit.phrased(template) is template
