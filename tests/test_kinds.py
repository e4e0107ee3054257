"""Kinds set against each other: a question about one kind is not answered with another's sentences."""

from __future__ import annotations

from bot.answer.kinds import (
    about_a_kind,
    asked_kinds,
    asks_now,
    compared_side,
    compares,
    kinds,
    other_kind,
    subject_rank,
)


def test_kinds_read_coordinations_and_short_forms() -> None:
    assert kinds("whats the diffrence btwn 1st and 2nd gen cmios") == {("first", "gen"), ("second", "gen")}
    assert kinds("First-generation CMIOs had significant responsibility") == {("first", "gen")}
    assert kinds("What does a CTO do?") == set()


def test_a_comparison_asks_about_no_kind_alone() -> None:
    assert asked_kinds("How do second-gen CMIOs differ from the first?") == set()
    assert asked_kinds("What do second-generation CMIOs focus on?") == {("second", "gen")}


def test_other_kind_looks_at_the_sentences_a_pronoun_needs() -> None:
    asked = {("second", "gen")}
    first = "First-generation CMIOs had significant responsibility for implementing clinical systems."
    assert other_kind(asked, ["They worked on an important and critical operational level.", first])
    assert not other_kind(asked, ["Second-generation CMIOs tend to be more strategic.", first])
    assert not other_kind(asked, ["The CMIO role continues to be defined."])
    assert not other_kind(set(), [first])


def test_a_then_against_a_now_is_a_comparison_and_a_place_against_a_place_is_not() -> None:
    assert compares("How do today's doctor-technologist leaders differ from the pioneers?")
    assert compares("How does the newer crop of physician leads differ?")
    assert compares("diff between first and second gen CMIOs")
    assert compares("How has the CMIO role changed over time?")
    assert not compares("Does the CMIO role differ from one organization to the next?")
    assert not compares("Does one exec run all those newer domains?")
    # What separates or sets one kind apart from another is a comparison too.
    assert compares("What separates a second-gen CMIO from the first wave?")
    assert compares("what sets second-gen CMIOs apart?")
    assert not compares("What separates good from great CTOs?")  # no kind and no then against a now


def test_a_sentence_is_about_a_kind_when_its_subject_is_one() -> None:
    assert about_a_kind("Second-generation CMIOs tend to be more strategic and visionary.")
    assert not about_a_kind("I encourage you to read Raths’ article, “The Rise of the Second-Generation CMIO.”")


def test_a_comparison_is_about_the_side_it_names_before_the_contrast() -> None:
    assert compared_side("How is the newer cohort of physician leaders different from their predecessors?") == "now"
    assert compared_side("the current ones... what's different about them vs the pioneers?") == "now"
    assert compared_side("How do the pioneers compare with today's CMIOs?") == "then"
    assert compared_side("How did first-gen CMIOs differ from the ones we see now?") == "then"
    # A part that carries the one before it is read in its own, last, sentence.
    assert compared_side("First, what did the earliest ones focus on? Second, how do their successors differ?") == "now"
    assert compared_side("How has the role changed over time?") is None
    assert subject_rank("Second-generation CMIOs tend to be more strategic.") == 2
    assert subject_rank("First-generation CMIOs had significant responsibility.") == 1
    assert subject_rank("They worked on an important and critical operational level.") is None


def test_a_question_about_today_asks_for_the_latest_kind_unless_it_names_an_earlier_one() -> None:
    assert asks_now("What does the CMIO focus on these days?")
    assert not asks_now("Does one exec run all those newer domains?")  # "newer" is no time
    assert not asks_now("What did the pioneers do, and what do CMIOs do now?")  # names the then side: a comparison
