"""Who does what: a sentence that gives a verb of its passage to another doer is caught (real spaCy parser)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

from bot.answer.agents import Parser, demoted
from bot.answer.grounding import Guard
from bot.answer.llm_path import LLMPath

SYSTEMS = "Many hospitals are unsure how to use their nurse leaders once the new scheduling system is live."
SUPPLIERS = "The CTO negotiates contracts with suppliers and oversees the data centre."


@pytest.fixture(scope="module")
def parser() -> Parser:
    return Parser()


def why(parser: Parser, sentence: str, passage: str) -> str | None:
    return demoted(parser.slots(sentence), [parser.slots(passage)])


def test_a_doer_traded_with_the_one_it_acts_on_is_caught(parser: Parser) -> None:
    passage = "Boards rarely know what to do with their analysts after a merger."
    swapped = "Analysts rarely know what to do with their boards after a merger."
    reason = why(parser, swapped, passage)
    assert reason is not None and "analyst" in reason and "board" in reason
    assert why(parser, "After a merger, boards often do not know what to do with their analysts.", passage) is None


def test_a_passive_names_its_doer_by_its_agent(parser: Parser) -> None:
    assert why(parser, "Contracts with the CTO are negotiated by suppliers.", SUPPLIERS) is not None
    assert why(parser, "Contracts with suppliers are negotiated by the CTO.", SUPPLIERS) is None


def test_what_is_to_be_done_is_not_its_doer(parser: Parser) -> None:
    assert parser.slots("The roadmap is to be designed in support of the missions.")["design"][0] == frozenset()
    assert parser.slots("The board is to design the roadmap.")["design"][0] == frozenset({"board"})


def test_a_new_doer_alone_or_a_pronoun_is_left_to_the_other_rules(parser: Parser) -> None:
    # No doer of the passage moved under the verb: this is not a swap (the lexical rules judge the new name).
    assert why(parser, "The CFO negotiates contracts with suppliers.", SUPPLIERS) is None
    # "They" could be anyone the passage names.
    assert why(parser, "They negotiate contracts with the CTO.", SUPPLIERS) is None
    assert why(parser, "Nurse leaders are often unsure how hospitals will use them.", SYSTEMS) is None


def test_the_model_loads_on_the_first_sentence_and_passages_are_parsed_once() -> None:
    calls: list[str] = []

    def load() -> Callable[[str], list[object]]:
        calls.append("load")

        def nlp(text: str) -> list[object]:
            calls.append(text)
            return []  # no tokens: no verbs

        return nlp

    lazy = Parser(load)  # type: ignore[arg-type]
    assert calls == []
    assert lazy.slots(SUPPLIERS) == {} and lazy.slots(SUPPLIERS) == {}
    assert calls == ["load", SUPPLIERS]


def test_a_name_is_the_same_doer_however_the_parser_lemmatises_it(parser: Parser) -> None:
    """The parser keeps "Raths" in one sentence and makes it "rath" in another: both must meet."""
    passage = "Raths has also written a follow-up report on the topic, based on an interview with Dana Kim."
    assert why(parser, "Dana Kim wrote the follow-up report, based on an interview with Raths.", passage) is not None
    assert why(parser, "Raths wrote a follow-up report after interviewing Dana Kim.", passage) is None


def test_warming_loads_once_in_the_background_and_a_check_waits_for_it() -> None:
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def load() -> Callable[[str], list[object]]:
        calls.append("load")
        started.set()
        release.wait(10)
        return lambda text: []

    lazy = Parser(load)  # type: ignore[arg-type]
    lazy.warm()
    lazy.warm()
    assert started.wait(10)
    release.set()
    assert lazy.slots(SUPPLIERS) == {}
    assert calls == ["load"]


def test_building_the_chat_model_starts_the_parser_loading() -> None:
    """Only a model's answer is guarded: the parser starts loading when the model is built, not before."""
    loaded = threading.Event()

    def load() -> Callable[[str], list[object]]:
        loaded.set()
        return lambda text: []

    path = LLMPath(Guard(lambda texts: np.zeros((len(texts), 3)), parser=Parser(load)), 2, None, object)  # type: ignore[arg-type]
    assert not loaded.is_set()
    assert path.built() is not None
    assert loaded.wait(10)
