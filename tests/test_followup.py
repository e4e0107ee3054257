"""Follow-up resolution (bot.answer.followup): how a short turn borrows the role and topic of the earlier
ones, and when it must not."""

from __future__ import annotations

from bot.answer.followup import Resolved, resolve, resolve_one


def test_a_question_with_no_history_stands_as_asked() -> None:
    assert resolve("What does a CTO do?", []) == Resolved("What does a CTO do?", ("CTO",), carried=False)


def test_a_question_naming_no_role_and_no_history_has_no_role() -> None:
    assert resolve("How long does a search take?", []) == Resolved("How long does a search take?", ())


def test_a_pronoun_becomes_the_earlier_role() -> None:
    resolved = resolve("What should they earn?", ["What does a CTO do?"])
    assert resolved == Resolved("What should the CTO earn?", ("CTO",), carried=True)


def test_a_possessive_pronoun_becomes_the_roles_possessive() -> None:
    resolved = resolve("What are his main duties?", ["Who makes a good CMIO?"])
    assert resolved.question == "What are the CMIO's main duties?"
    assert resolved.roles == ("CMIO",) and resolved.carried


def test_only_the_first_pronoun_is_replaced() -> None:
    resolved = resolve("Do they report to them?", ["What does a CTO do?"])
    assert resolved.question == "Do the CTO report to them?"


def test_and_for_cmios_swaps_the_role() -> None:
    resolved = resolve("and for CMIOs?", ["What does a CTO do?"])
    assert resolved == Resolved("What does a CMIO do?", ("CMIO",), carried=True)


def test_what_about_swaps_a_full_title_too() -> None:
    resolved = resolve("What about the CMIO?", ["What does a chief technology officer own?"])
    assert resolved.question == "What does a CMIO own?"
    assert resolved.roles == ("CMIO",)


def test_a_role_switch_with_no_role_word_to_replace_appends_the_role() -> None:
    """The last turn named no role (it kept the CTO only as context): with nothing to swap, the new role
    is asked about explicitly."""
    resolved = resolve("and for CMIOs?", ["What does a CTO do?", "What is SFIA?"], names=frozenset({"sfia"}))
    assert resolved == Resolved("What is SFIA for the CMIO role?", ("CMIO",), carried=True)


def test_a_new_question_about_another_role_does_not_inherit_the_old_one() -> None:
    resolved = resolve("How do I interview a CMIO candidate?", ["What does a CTO do?"])
    assert resolved == Resolved("How do I interview a CMIO candidate?", ("CMIO",), carried=False)


def test_a_new_question_about_no_role_does_not_inherit_the_old_one() -> None:
    question = "What skills matter most in a new digital hire?"
    assert resolve(question, ["What does a CTO do?"]) == Resolved(question, (), carried=False)


def test_a_short_question_pointing_back_asks_about_the_earlier_role() -> None:
    """ "that" is what the earlier question asked about, so the earlier question comes along, with its role."""
    resolved = resolve("How long does that take?", ["What does a CTO do?"])
    assert resolved == Resolved("How long does that take? (What does a CTO do?)", ("CTO",), carried=True)


def test_a_short_turn_that_asks_of_the_earlier_answer_carries_the_earlier_question() -> None:
    """ "why?", "any examples?", "who said that?" mean nothing alone: the earlier question says what they ask
    about. Without a word pointing back no role is fixed, so a short new question still finds its article."""
    earlier = "Can a CTO come from outside healthcare?"
    assert resolve("why?", [earlier]) == Resolved(f"why? ({earlier})", (), carried=True)
    assert resolve("any examples?", [earlier]).question == f"any examples? ({earlier})"
    said = resolve("who said that?", ["Is the CMIO role still an implementation job?"])
    assert said.roles == ("CMIO",) and said.question.endswith("(Is the CMIO role still an implementation job?)")
    # A short turn that names something of the knowledge base is a question of its own.
    assert resolve("What is SFIA?", [earlier], names=frozenset({"sfia"})) == Resolved("What is SFIA?", ())


def test_a_continuation_without_a_role_in_context_carries_the_earlier_question() -> None:
    resolved = resolve("and that?", ["What is SFIA?"])
    assert resolved == Resolved("and that? (What is SFIA?)", (), carried=True)


def test_a_turn_about_no_role_keeps_the_earlier_role_as_context() -> None:
    resolved = resolve("Why do they use it?", ["What does a CTO do?", "What is SFIA?"])
    assert resolved.question == "Why do the CTO use it?"
    assert resolved.roles == ("CTO",)


def test_two_roles_in_context_are_both_carried() -> None:
    resolved = resolve("What do they earn?", ["How do a CTO and a CMIO differ?"])
    assert resolved.question == "What do the CTO and CMIO earn?"
    assert resolved.roles == ("CTO", "CMIO")


def test_a_known_role_is_found_without_an_acronym_shape() -> None:
    resolved = resolve("What does a VPIT do?", [], known_roles=["VPIT"])
    assert resolved.roles == ("VPIT",)


def test_resolution_replays_the_history_the_same_way_each_time() -> None:
    history = ["What does a CTO do?", "and for CMIOs?"]
    assert resolve("What do they earn?", history) == resolve("What do they earn?", history)
    assert resolve("What do they earn?", history).roles == ("CMIO",)


def test_resolve_one_without_context_changes_nothing() -> None:
    assert resolve_one("and for CMIOs?", None, ()) == Resolved("and for CMIOs?", ("CMIO",))


def test_a_word_of_acknowledgement_before_and_still_continues_the_thread() -> None:
    history = ["What kind of prior experience should a health system CTO have?"]
    for question in ("ok and would someone from a tech vendor qualify?", "Thanks, and what about a consultant?"):
        resolved = resolve(question, history, ["CTO", "CMIO"])
        assert resolved.roles == ("CTO",) and resolved.carried, question


def test_a_pronoun_after_a_question_about_a_person_carries_that_question() -> None:
    """No role to put in place of "he": the earlier question says who is meant."""
    resolved = resolve("what does he expect to happen to the role over time?", ["Who is Chris Wood?"], ["CMIO"])
    assert resolved.carried and "Chris Wood" in resolved.question
    names = frozenset({"sfia", "ehr", "chris wood"})
    assert not resolve("what is SFIA about exactly?", ["Who is Chris Wood?"], ["CMIO"], names).carried
    ehr = "what should the candidate know about EHR systems?"
    assert not resolve(ehr, ["Who is Chris Wood?"], ["CMIO"], names).carried


def test_a_role_named_with_a_new_ask_is_a_new_question_not_the_old_one_again() -> None:
    # "what about the CMIO's salary?" asks about salary; replaying "What are the CTO's responsibilities?" for
    # the CMIO would answer a question nobody asked (and hide that the articles give no salary).
    resolved = resolve("what about the CMIO's salary?", ["What are the CTO's responsibilities?"])
    assert resolved.question == "what about the CMIO's salary?"
    assert resolved.roles == ("CMIO",)
    assert resolve("how about for the CMIO role", ["What does a CTO do?"]).question == "What does a CMIO do?"
    # However long the title, a bare switch is still a switch.
    long = resolve("what about the chief medical information officer?", ["What does a CTO do?"])
    assert long.question == "What does a CMIO do?"


def test_a_plural_role_alone_after_and_is_a_switch() -> None:
    assert resolve("and CTOs?", ["What do CMIOs do?"]).question == "What do CTOs do?"


def test_is_that_the_same_for_another_role_asks_the_earlier_question_of_it() -> None:
    resolved = resolve("is that the same for a CMIO?", ["What experience should a CTO have?"])
    assert resolved == Resolved("What experience should a CMIO have?", ("CMIO",), carried=True)


def test_the_newer_ones_point_back_to_the_earlier_role() -> None:
    resolved = resolve("how are the newer ones different?", ["Tell me about first-generation CMIOs"])
    assert resolved.roles == ("CMIO",) and resolved.carried


def test_she_after_a_question_about_an_author_is_the_author_not_the_role() -> None:
    resolved = resolve("what firm is she with?", ["Who wrote the CTO article?"])
    assert resolved.question == "what firm is she with? (Who wrote the CTO article?)"


def test_another_kind_takes_the_place_of_the_one_asked_about() -> None:
    """'And the second generation?' asks the earlier question again, of the other kind it names."""
    earlier = "What were first-generation CMIOs responsible for?"
    assert resolve("And the second generation?", [earlier], ["CMIO"]).question == (
        "What were second-generation CMIOs responsible for?"
    )
    assert resolve("what about the first-gen ones?", ["What do second-gen CMIOs focus on?"], ["CMIO"]).question == (
        "What do first-gen CMIOs focus on?"
    )
    # A turn that names no other kind of anything the earlier question has is left to the other rules.
    assert resolve("and the key qualities?", ["What does the CTO do?"], ["CTO"]).question == (
        "and the key qualities for the CTO role?"
    )


def test_the_other_role_is_the_knowledge_bases_other_one() -> None:
    resolved = resolve(
        "ok and the other role — how has it changed between generations?",
        ["What are the main CTO responsibilities?"],
        ["CTO", "CMIO"],
    )
    assert resolved.roles == ("CMIO",) and "the CMIO role" in resolved.question
    # With three roles in the knowledge base, "the other" names none of them.
    three = resolve("and the other role?", ["What does a CTO do?"], ["CTO", "CMIO", "CNIO"])
    assert "CMIO" not in three.roles and "CNIO" not in three.roles


def test_a_long_turn_pointing_back_with_those_carries_the_earlier_question() -> None:
    earlier = "Which areas have been added to the CTO remit?"
    resolved = resolve("Does one person really own all of those in a big system like ours?", [earlier], ["CTO"])
    assert resolved.carried and resolved.roles == ("CTO",) and earlier in resolved.question
    # A long question of its own, with no word pointing back, stays as it is.
    fresh = resolve("What does a hospital look for in a new board member these days?", [earlier], ["CTO"])
    assert not fresh.carried  # "these days" points nowhere
