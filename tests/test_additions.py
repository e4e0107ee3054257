"""What a sentence adds to its passage in passing (bot.answer.additions): examples, descriptions of a person and
reasons the cited text does not give, and what only looks like one ("among others", "Per Siegel, ...")."""

from __future__ import annotations

from bot.answer.additions import reasons
from bot.answer.claims import lexical_misses


def test_an_example_the_cited_text_does_not_give_is_a_miss() -> None:
    leader = "In larger health systems, the expanded areas will have their own specialized leader."
    assert lexical_misses("Expanded areas such as telehealth will have their own specialized leader.", leader) == (
        "an example the cited text does not give: telehealth",
    )
    areas = "The role has expanded to include data analytics, IT security and telehealth."
    assert lexical_misses("The role has grown into areas such as telehealth and IT security.", areas) == ()


def test_a_description_of_a_person_the_cited_text_does_not_give_is_a_miss() -> None:
    wood = "Raths interviewed Chris Wood, M.D., CMIO at Loyola University Health System."
    assert lexical_misses("Chris Wood, M.D., a practicing internist, is CMIO at Loyola University Health System.", wood)
    assert lexical_misses("Chris Wood, M.D., the CMIO at Loyola University Health System, spoke to Raths.", wood) == ()


def test_a_reason_the_cited_text_does_not_give_is_a_miss() -> None:
    demand = "Because the technology talent demand is so huge, IT professionals bridge into healthcare CTO roles."
    (miss,) = lexical_misses("IT professionals bridge into CTO roles because signing bonuses lure them.", demand)
    assert miss.startswith("a reason the cited text does not give")
    assert lexical_misses("IT professionals bridge into CTO roles because talent demand is huge.", demand) == ()


def test_an_open_end_to_a_list_of_examples_adds_no_example() -> None:
    cited = "The role has expanded to include more areas such as data analytics, IT security and telehealth."
    assert lexical_misses("The role now takes in areas such as IT security and telehealth, among others.", cited) == ()
    assert lexical_misses("It takes in areas such as telehealth and cloud migration, etc.", cited) == (
        "an example the cited text does not give: cloud migration",
    )


def test_a_post_or_a_long_description_the_cited_text_lacks_is_a_miss() -> None:
    cited = "As I discussed with contributing editor David Raths of Healthcare Informatics, they were strong."
    assert lexical_misses(
        "As discussed with David Raths, publisher of Healthcare Informatics, they were strong.", cited
    )
    assert (
        lexical_misses(
            "I discussed with David Raths, contributing editor of Healthcare Informatics, their strengths.", cited
        )
        == ()
    )
    wood = "Raths interviewed Chris Wood, M.D., CMIO at Loyola University Health System in Maywood, Illinois."
    assert lexical_misses("Raths interviewed Chris Wood, M.D., a practicing hospitalist and CMIO at Loyola.", wood) == (
        "a description the cited text does not give: Chris Wood, a practicing hospitalist",
    )


def test_an_attribution_opening_a_sentence_is_no_description() -> None:
    cited = (
        "Health system CIOs need a strong team, and the CTO role has grown, both in demand and status.\nBonnie Siegel"
    )
    assert (
        lexical_misses("Per Siegel, the CTO role has risen in both demand and standing as systems grow.", cited) == ()
    )


def test_a_cause_or_consequence_in_a_report_s_words_is_a_reason_the_passage_lacks() -> None:
    grown = "The CTO role has grown, both in demand and status, as the healthcare enterprise becomes more complex."
    invented = "The growth of the CTO role is attributed to a shortage of qualified CIOs."
    assert [m.split(":")[0] for m in reasons(invented, grown)] == ["a reason the cited text does not give"]
    vendor = "A good CTO candidate can come from a healthcare IT vendor or consulting firm."
    assert reasons("Vendor candidates are good owing to their familiarity with contract negotiation.", vendor)
    demand = "But because the technology talent demand in healthcare is so huge, this has allowed IT professionals in."
    assert reasons("IT professionals got in, which is attributed to the huge technology talent demand.", demand) == []
