"""Polarity in the guard (bot.answer.polarity): a word denied on one side and asserted on the other, common
opposites, denying words and comparatives turned the other way; MiniLM likens each to its source."""

from __future__ import annotations

from bot.answer.polarity import antonyms, denials, negative_verb, reversals, turned_comparatives
from tests.grounding_cases import CRITICAL, SECOND_GENERATION


def test_denying_words_the_cited_text_lacks_are_counted() -> None:
    cited = "First-generation CMIOs had significant responsibility for implementing clinical systems."
    assert denials("First-generation CMIOs had little responsibility for implementing clinical systems.", cited) == 1
    assert denials("Coaches don't need Latin.", "A coach does not need Latin.") == 0


def test_a_negated_word_the_source_asserts_is_reversed() -> None:
    found = reversals("Sales skills are not transferable to teaching.", "Sales skills are transferable to teaching.")
    assert "reversed transferable" in found
    assert reversals("Sales skills do not transfer to teaching.", "Sales skills are transferable to teaching.")


def test_the_same_negation_in_other_words_is_no_reversal() -> None:
    assert reversals("Coaches do not have to be fluent in Latin.", "A coach does not need to be fluent in Latin.") == []
    assert reversals("Not only patience but humour helps.", "Patience and humour help.") == []


def test_a_negated_negative_verb_asserts() -> None:
    assert reversals("Don't overlook candidates from small firms.", "Candidates can come from small firms.") == []


def test_a_negation_that_without_cancels_asserts() -> None:
    cited = "Health system CIOs need a strong team."
    assert reversals("CIOs cannot do without a strong team.", cited) == []
    assert denials("CIOs cannot do without a strong team.", cited) == 0
    assert reversals("CIOs do not need a strong team.", cited)
    assert reversals("CMIOs are neither strategic nor visionary.", "CMIOs are strategic and visionary.")


def test_a_swapped_preference_is_reversed() -> None:
    assert reversals("Teams will favour speed over accuracy.", "Teams will favour accuracy over speed.") == [
        "reversed accuracy",
        "reversed speed",
    ]
    assert reversals("Teams will put accuracy ahead of speed.", "Teams will favour accuracy over speed.") == []


def test_rather_than_reverses_what_the_source_asserts() -> None:
    assert reversals("Mentors should be patient rather than strict.", "Mentors should be strict and not patient.") == [
        "reversed patient",
        "reversed strict",
    ]
    assert reversals("Mentors should be strict rather than patient.", "Mentors should be strict and not patient.") == []


def test_what_has_given_way_is_the_old_side() -> None:
    assert reversals(
        "Careful planning has given way to improvisation.", "Improvisation has given way to careful planning."
    )
    assert (
        reversals("Improvisation was replaced by careful planning.", "Improvisation has given way to careful planning.")
        == []
    )


def test_a_weak_negation_does_not_count_against_a_strong_one() -> None:
    """ "less about X" and "from X to Y" soften X; only a clean word against a strong negation is a reversal."""
    assert reversals("The job is less about paperwork and more about people.", "The job isn't about paperwork.") == []
    assert reversals("Expect a shift from paperwork toward people.", "Leaders will prefer people over paperwork.") == []


def test_an_antonym_the_source_also_holds_is_no_miss() -> None:
    assert antonyms("Budgets grew and then shrank.", "Budgets shrank after they grew.") == []


def test_general_opposites_reverse_a_claim() -> None:
    assert antonyms("The team works at a strategic level.", "The team works at an operational level.")
    assert antonyms("The remit was narrowed.", "The remit has expanded.")
    assert antonyms("They were poor at planning.", "They were strong in planning.")


def test_more_than_compares_alike_however_far_more_stands_from_than() -> None:
    assert (
        reversals(
            "Staff want to get more from the tools than they currently can.",
            "Staff want to get more out of the tools than they are currently able to.",
        )
        == []
    )


def test_too_new_for_denies_what_follows() -> None:
    cited = "The role has been in place long enough that we now see a second generation making its mark."
    assert denials("The role is too new for a second generation to have made its mark.", cited) == 1
    assert denials("The second generation is making its mark, too.", cited) == 0


def test_a_comparative_turned_the_other_way_is_a_miss() -> None:
    assert turned_comparatives("The CMIO ranks among the less critical executive positions.", CRITICAL) == [
        "less critical (turned)"
    ]
    assert turned_comparatives("Second-generation CMIOs tend to be less strategic.", SECOND_GENERATION) == [
        "less strategic (turned)"
    ]
    assert turned_comparatives("Second-generation CMIOs are more strategic than before.", SECOND_GENERATION) == []


def test_more_than_they_get_measures_and_denies_nothing() -> None:
    """'want more from systems than they get today' says what the source says; 'get' is not denied."""
    assert (
        reversals(
            "Physicians want more from information systems than they get today.",
            "Physicians are looking to get more out of information systems than they are currently able to.",
        )
        == []
    )


def test_over_time_is_no_lesser_side() -> None:
    cited = "This will change over time, and more and more CMIOs will prioritize strategy over operations."
    assert reversals("More and more CMIOs will put strategy ahead of operations over time.", cited) == []


def test_a_negative_verb_is_the_verb_not_a_word_that_starts_like_it() -> None:
    assert negative_verb("quitting") and negative_verb("overlooked") and negative_verb("hesitating")
    assert not negative_verb("quite") and not negative_verb("missionary")
    # "may not quite know" denies "know" as "don't know" does: no reversal.
    cited = "Some health systems don’t know what to do with their CMIOs after the EHR implementation is done."
    assert reversals("Some health systems may not quite know what to do with their CMIOs after the EHR.", cited) == []


def test_unchanged_is_the_opposite_of_a_change() -> None:
    cited = "The traditional role over operations and PC support has expanded to include data analytics."
    assert antonyms("The traditional role has remained essentially unchanged.", cited) == ["unchanged against expand"]
