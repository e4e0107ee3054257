"""Kinds set against each other: a question about one kind is not answered with another's sentences."""

from __future__ import annotations

from bot.answer.kinds import asked_kinds, kinds, other_kind


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
