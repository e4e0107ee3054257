"""Multi-part questions are split at their connectives into parts that each ask something, and an
answer to one gives each part its own point."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from bot.answer.advisor import Advisor
from bot.answer.multipart import split_parts
from bot.settings import Settings
from ingest.chunking import continued
from ingest.store.index import Hit
from tests.conftest import KNOWLEDGE


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "What does a CTO from outside healthcare struggle with? Separately, what do second-gen CMIOs focus on?",
            ["What does a CTO from outside healthcare struggle with?", "what do second-gen CMIOs focus on?"],
        ),
        (
            "two things: does the CTO do capacity planning, and is a military IT background enough?",
            ["does the CTO do capacity planning", "is a military IT background enough?"],
        ),
        # A part that points back carries the first part, so it can be searched alone.
        (
            "Who is David Raths, and what has he written?",
            ["Who is David Raths", "Who is David Raths what has he written?"],
        ),
        # "plus" with no comma, and a part after a semicolon that opens with a few words before its question word.
        (
            "what challenges would a CTO from outside healthcare face plus is there any upside to hiring one?",
            ["what challenges would a CTO from outside healthcare face", "is there any upside to hiring one?"],
        ),
        (
            "For the CTO, how has the job grown; for the CMIO, how is it expected to evolve?",
            ["For the CTO, how has the job grown", "for the CMIO, how is it expected to evolve?"],
        ),
        (
            "Who wrote the CMIO article, and which firm does that person work for?",
            ["Who wrote the CMIO article", "Who wrote the CMIO article which firm does that person work for?"],
        ),
        # One question, not two: "or" offers alternatives, "and" joins nouns, a statement adds context.
        ("Is the role standard, or does it differ between systems?", None),
        ("What are the CTO responsibilities and qualities?", None),
        ("What's a typical CTO salary? I need a number for the budget.", None),
    ],
)
def test_split_parts(question: str, parts: list[str] | None) -> None:
    assert split_parts(question) == (parts or [question])


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        # A numbered list on one line.
        (
            "1) CTO core responsibility in one line 2) is the CMIO role settled yet?",
            ["CTO core responsibility in one line", "is the CMIO role settled yet?"],
        ),
        # "they" beside a role the part names, or for the first part's role, needs no carrying: the role says who.
        (
            "CTO: what communication skills? CMIO: who are they supposed to work with?",
            ["CTO: what communication skills?", "CMIO: who are they supposed to work with?"],
        ),
        (
            "What's the CTO in charge of, and in a big system do they also run security?",
            ["What's the CTO in charge of", "in a big system do they also run security?"],
        ),
        # "his", "her" mean the person the first part named, even beside a role.
        (
            "Who is Chris Wood, and what is his take on the CMIO role?",
            ["Who is Chris Wood", "Who is Chris Wood what is his take on the CMIO role?"],
        ),
    ],
)
def test_split_parts_with_the_known_roles(question: str, parts: list[str]) -> None:
    assert split_parts(question, ["CTO", "CMIO"]) == parts


def test_a_count_that_opens_the_next_chunk_answers_a_part(built: tuple[Settings, Advisor]) -> None:
    """ "how many skills does SFIA list?": "Be sure to check out SFIA" ends its chunk and the count opens the next;
    the part is answered, not called a gap."""
    answer = built[1].ask_sync("Quick one: does the CTO cover IT security? Also, how many skills does SFIA list?")
    assert answer.coverage == "full" and "96 skills" in answer.text


def test_each_part_gets_its_own_point(built: tuple[Settings, Advisor]) -> None:
    answer = built[1].ask_sync(
        "How many years of experience does a CTO need, and how long has the CMIO role been around?"
    )
    assert answer.in_scope
    assert "5-plus years" in answer.text and "well over a decade" in answer.text


def test_a_part_answered_by_an_earlier_part_is_not_padded(built: tuple[Settings, Advisor]) -> None:
    # "budget skills" is best answered by the sentence the first part already quoted (project management ...
    # budget management); the sentences after it are weak against that one, so none of them is added.
    answer = built[1].ask_sync("What planning skills does a CTO need, and what budget skills?")
    assert answer.in_scope and any("budget management" in p.text for p in answer.points)
    assert not any("facilitator" in p.text for p in answer.points)


def test_a_part_the_articles_do_not_cover_is_named_first(built: tuple[Settings, Advisor]) -> None:
    answer = built[1].ask_sync("How many years of experience does a CTO need, and what salary should we offer?")
    assert answer.in_scope and answer.coverage == "partial" and answer.to_json()["coverage"] == "partial"
    first, second = answer.text.split("\n")[:2]
    assert first.startswith("The articles don’t cover “") and "salary" in first
    assert second == answer.points_intro and "5-plus years" in answer.text


def test_a_question_whose_parts_are_all_gaps_is_a_gap(built: tuple[Settings, Advisor]) -> None:
    answer = built[1].ask_sync("What salary should we offer a CTO? And how many interview rounds are typical?")
    assert answer.in_scope and answer.coverage == "none"
    assert "salary" in answer.text.split("\n")[0] and "interview rounds" in answer.text.split("\n")[0]


def test_a_part_that_names_no_role_is_asked_about_the_questions_role(built: tuple[Settings, Advisor]) -> None:
    """ "what challenges do outsiders face?" names no role: asked about the CTO it is covered, word for word."""
    answer = built[1].ask_sync("Do CTOs need people skills? Also, what challenges do outsiders face?")
    assert answer.coverage == "full"
    assert "executive presence" in answer.text
    assert "A CTO from outside of healthcare will face challenges" in answer.text


def test_a_continuation_follows_its_own_sentence(built: tuple[Settings, Advisor]) -> None:
    """A part's sentence is continued from the part's own passages ("It is a good resource ..." after
    "Be sure to check out SFIA"), never from a passage of another retrieval that shares its number."""
    answer = built[1].ask_sync(
        "How many years of experience does a CTO need, and is there a framework for sizing up tech skills?"
    )
    article = " ".join((KNOWLEDGE / "cto-role-bonnie-siegel.md").read_text(encoding="utf-8").split())
    texts = [p.text for p in answer.points]
    resource = "It is a good resource that breaks down technology skills into six categories and 96 skills."
    assert any(t.endswith(f"SFIA – Skills Framework for the Information Age. {resource}") for t in texts), texts
    # Each point, its continuation included, is the article's own run of words.
    assert all(t in article for t in texts if "…" not in t), texts


def test_a_continuation_cut_off_by_a_chunk_boundary_still_follows(built: tuple[Settings, Advisor]) -> None:
    """The chunk holding "Be sure to check out SFIA" ends there; its "It is a good resource ..." opens the next
    chunk, which retrieval need not bring: the answer fetches it from the article's next chunk."""
    answer = built[1].ask_sync("The CTO article mentions SFIA — what is it and how is it organised?")
    texts = [p.text for p in answer.points]
    resource = "It is a good resource that breaks down technology skills into six categories and 96 skills."
    assert f"Be sure to check out SFIA – Skills Framework for the Information Age. {resource}" in texts
    assert len({p.source for p in answer.points}) == 1 and len(answer.sources) == 1


def test_the_ingest_records_which_chunks_the_next_one_continues(built: tuple[Settings, Advisor]) -> None:
    """Only the chunk that ends on "Be sure to check out SFIA" is continued by its next one; answering reads a next
    chunk for no other (a read by id from the store for every passage-ending sentence cost ~2 ms an answer at
    3,000 articles)."""
    advisor = built[1]
    flagged = [h.id for h in advisor.index.chunks() if h.metadata.get("continued")]
    assert len(flagged) == 1 and flagged[0].startswith("cto-role-bonnie-siegel.md#")
    assert continued("Be sure to check out SFIA.", "Be sure to check out SFIA.\n\nIt is a good resource.")
    assert not continued("Be sure to check out SFIA.", "Luckily, skills are transferable.")
    read: list[tuple[str, int]] = []
    keyword = advisor.retriever.keyword()
    original = keyword.chunk_at

    def counting(doc_id: str, position: int) -> Hit | None:
        read.append((doc_id, position))
        return original(doc_id, position)

    keyword.chunk_at = counting  # type: ignore[method-assign]
    try:
        for question in ("What does a CTO do?", "What salary for a CTO?", "How has the CMIO role changed?"):
            advisor.ask_sync(question)  # each read chunks after a passage's last sentence before the flag
        doc, position = flagged[0].split("#")
        assert set(read) <= {(doc, int(position) + 1)}, read
    finally:
        keyword.chunk_at = original  # type: ignore[method-assign]


def test_a_multipart_question_encodes_its_parts_in_one_batch(
    built: tuple[Settings, Advisor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One encode call per part cost a two-part question three; the parts are encoded with the whole, at once,
    each in its role-neutral form only: a question answered at once needs no other (QuestionSearch.decided)."""
    _, advisor = built
    embedder = advisor.index.embedder
    calls: list[int] = []
    real = embedder.encode

    def counted(texts: Sequence[str]) -> np.ndarray:
        calls.append(len(texts))
        return real(texts)

    monkeypatch.setattr(embedder, "encode", counted)
    answer = advisor.ask_sync("What does a CTO do, and what qualifications should a CMIO have?")
    assert answer.in_scope and answer.points
    assert calls == [3]


def test_a_question_naming_a_role_is_encoded_once_unless_the_scope_would_not_answer_it(
    built: tuple[Settings, Advisor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18: the second encode (the question with its role names in) was most of an answer's cost beyond the
    floor. An answered question is searched with its role-neutral form alone; one the scope would not answer
    that way has its dense signal read again with the role names in, as the scope model was fitted."""
    _, advisor = built
    embedder = advisor.index.embedder
    calls: list[list[str]] = []
    real = embedder.encode

    def counted(texts: Sequence[str]) -> np.ndarray:
        calls.append(list(texts))
        return real(texts)

    advisor.warm_up()  # what is embedded once per process (the generic role's vector) is not counted
    monkeypatch.setattr(embedder, "encode", counted)
    answer = advisor.ask_sync("What is the CTO responsible for day to day?")
    assert answer.in_scope and calls == [["What is the executive responsible for day to day?"]]
    calls.clear()
    declined = advisor.ask_sync("What pizza toppings does the CTO like best?")
    assert not declined.in_scope
    assert calls == [
        ["What pizza toppings does the executive like best?"],
        ["What pizza toppings does the CTO like best?"],
    ]
