"""Who holds a claim and how firmly (bot.answer.stance), and the names the guard reads: a view given to another
speaker, a possibility raised to a requirement, and a capitalised word that only opens a sentence."""

from __future__ import annotations

from bot.answer.claims import lexical_misses, without_answer_word
from bot.answer.stance import other_speakers, raised_modals, shifted_time

WOOD = "“This isn’t an implementation job,” Dr. Wood says."
CANDIDATE = "A good CTO candidate can come from a healthcare IT vendor or consulting firm."


def test_a_view_given_to_another_speaker_is_a_miss() -> None:
    assert other_speakers("“This isn’t an implementation job,” says Hillary Ross.", WOOD) == ["said by Ross, not Wood"]
    assert other_speakers("Hillary Ross writes that Dr. Wood says it isn’t an implementation job.", WOOD) == []
    assert other_speakers("Dr. Wood says it is not an implementation job.", WOOD) == []
    assert other_speakers("Hillary Ross notes that the role is evolving.", "The role is evolving.") == []


def test_a_possibility_raised_to_a_requirement_is_a_miss() -> None:
    assert raised_modals("A good CTO candidate must come from a healthcare IT vendor.", CANDIDATE) == [
        "required where the cited text allows: must come"
    ]
    assert raised_modals("A good CTO candidate may come from a healthcare IT vendor.", CANDIDATE) == []
    assert (
        raised_modals("CIOs must learn to work with clinicians.", "A CTO will face learning to work with clinicians.")
        == []
    )


def test_a_capitalised_word_that_opens_a_sentence_is_no_name() -> None:
    cited = "Someone who has been trained in large complex military or government IT roles would be a good contender."
    assert (
        lexical_misses("Trained in large, complex military or government IT roles? You’d be a good contender!", cited)
        == ()
    )
    assert lexical_misses("Trained in military IT roles? Then Acme would hire you.", cited) == ("Acme",)


TALENT = (
    "But because the technology talent demand in healthcare is so huge, this has allowed IT professionals from other "
    "industries to bridge into healthcare CTO roles."
)
TRANSITION = "Dr. Wood notes that many organizations – and their CMIOs – are in a transitional phase."


def test_a_present_claim_put_off_into_the_future_or_declared_finished_is_a_miss() -> None:
    assert shifted_time("Healthcare’s talent demand will eventually allow outsiders into CTO roles.", TALENT) == [
        "put into the future: will eventually"
    ]
    assert shifted_time("Dr. Wood says organizations have completed their transition.", TRANSITION) == [
        "declared finished: have completed"
    ]
    assert shifted_time("Huge demand has let IT professionals from other industries into CTO roles.", TALENT) == []
    assert shifted_time("More CMIOs will in the coming years prioritize strategy.", "This will change over time.") == []
    assert shifted_time("Some are unsure what to do once the EHR rollout has completed.", "after it is done") == []


def test_the_writer_in_the_first_person_is_no_name_and_not_always_is_a_hedge() -> None:
    larger = "In larger health systems, the expanded areas will have their own specialized leader."
    assert (
        lexical_misses("In bigger health systems, I’d expect each area to have its own specialist leader.", larger)
        == ()
    )
    tend = "Second-generation CMIOs tend to be more strategic and visionary."
    assert "always" not in lexical_misses("Second-generation CMIOs are often, though not always, strategic.", tend)
    assert "always" in lexical_misses("Second-generation CMIOs are always strategic.", tend)


def test_a_bold_lead_in_and_a_question_answered_in_the_same_breath_are_framing() -> None:
    """A chat model's bullet label ("**Resource:**") opens the sentence; "Is it settled? Not yet, ..." answers."""
    sfia = "Be sure to check out SFIA – Skills Framework for the Information Age."
    assert (
        lexical_misses("**Resource:** be sure to check out SFIA – Skills Framework for the Information Age.", sfia)
        == ()
    )
    defined = "The CMIO role continues to be defined and the role is still very much organization-dependent."
    answered = without_answer_word(
        "Is the CMIO role settled? Not yet, it's still being defined and organization-dependent."
    )
    assert answered == "it's still being defined and organization-dependent."
    assert lexical_misses(answered, defined) == ()


def test_a_name_the_cited_text_lacks_is_not_excused_by_a_word_that_contains_it() -> None:
    """ "Ross" once passed as "ro" (in "strong") and "HIE" as part of "achieve": a name must start a word there."""
    team = "Health system CIOs need a strong team, and the CTO role has grown. The Health System CTO — Bonnie Siegel"
    assert "Ross's" in lexical_misses(
        "Hillary Ross's piece says CIOs need a strong team and the CTO role has grown.", team
    )
    assert lexical_misses("The HIE role has grown.", "CIOs want to achieve a role that has grown.") == ("HIE",)
    assert lexical_misses("Siegel's point: CIOs need a strong team.", team) == ()
