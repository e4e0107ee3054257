"""The groundedness guard: an LLM sentence reaches the user only if the passage it cites supports it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer.causes import reversed_causes
from bot.answer.claims import asserts_nothing, clauses, lexical_misses
from bot.answer.elsewhere import borrowed
from bot.answer.grounding import Guard
from bot.answer.polarity import antonyms, denials, reversals, turned_comparatives
from bot.answer.swaps import exchanged_agent, exchanges
from bot.answer.types import Passage, Source
from bot.quality.grounding import load_pairs, report, score
from ingest.embedding.factory import Embedder

ROOT = Path(__file__).resolve().parents[1]
CTO = Source(1, "The Health System CTO", "Bonnie Siegel", "Witt/Kieffer", "cto-role-bonnie-siegel.md")
CMIO = Source(2, "CMIOs in Healthcare: The Next Generation Makes Its Mark", "Hillary Ross", "Witt/Kieffer", "cmio.md")
PRESENCE = (
    "The “super-techy” nerd in the cubicle in the computer room has given way to someone who has executive "
    "presence, can manage people, communicate effectively, and can translate complex technical concepts into "
    "laymen’s terms."
)
EXPERIENCE = (
    "The hiring manager ideally wants someone with 5-plus years of applicable experience from a similar health "
    "organization."
)
CRITICAL = "One of the most critical executive positions in healthcare is the CMIO."
SECOND_GENERATION = (
    "Second-generation CMIOs tend to be more strategic and visionary, engaged with senior executives on the "
    "high-level planning that goes into making the right investments in IT."
)

#: What make test holds the held-out pairs to, beside issue 16's target: measured once on the fresh g3-* set after
#: the word-alignment, swap and framing rules were tuned by grouped CV on calibrate only (0.824 / 0.803), rounded
#: down. With the guard as it stood when g3 was committed: 0.826 / 0.750. (The g2-* set, now calibrate, had
#: given 0.911 / 0.745: the new writer's paraphrases are harder for it.)
#: Session 12: the three-feature guard chosen by leaving one writer batch out, scored once on g3: 0.859 / 0.803.
#: Session 13: g3 became calibrate (scored twice); the held-out split is g6-* (150 pairs, a sixth blind writer),
#: committed before the guard's session-13 rules were merged, scored once after: 0.969 / 0.840. Then g6 became
#: calibrate (its misses were read); the held-out split is g7-* (a seventh blind writer's pairs, committed before the
#: second round was merged), scored once after: 0.917 / 0.733 (9 of its 20 misses claims from elsewhere in the
#: article, "off_passage": this writer wrote more of them).
#: Session 14: g7 became calibrate; the held-out split is g8-* and g9-* (two more blind writers, 230 pairs once
#: sentences repeating a calibrate pair were left out), committed before the added-clause, "too ... to" and
#: "in most cases" rules and the refit, scored once after: 0.952 / 0.846 (misses: 7 contradictions, 7 swaps).
#: Then g8 and g9 became calibrate and the held-out split is g10-* and g11-* (two more blind writers briefed for
#: heavy rewording and for a recruiter's compact style; 241 pairs), committed before the rules read from g8 and g9
#: (judgements reversed in other words, movements sent the other way) and the refit, scored once after:
#: 0.837 / 0.713. The guard does not yet carry to a new writer's style. Then g10 and g11 became calibrate and the
#: held-out split is g12-* and g13-* (a physician-facing voice with relative clauses and time words; compound
#: sentences with one faithful and one wrong half; 253 pairs), committed before the added clause learned more joins
#: ("who", "through", a semicolon) and the refit on twelve batches, scored once after: 0.827 / 0.814.
#: Session 15: g12 and g13 became calibrate; the held-out split is g14-* and g15-* (a board briefing packing claims
#: together; a consultant's hedged, passive memo; 231 pairs), committed before anything read from g12 and g13 (a
#: passive that makes the object the doer, "is what has made" as a cause, segments joined as a window) and the
#: refit, scored once after: 0.9796 / 0.787 (misses: 11 inventions, 7 swaps, 4 contradictions kept). The floor
#: follows the set: recall 0.81 -> 0.78 is a new writer's, not a regression on the same pairs.
#: Then g14 and g15 became calibrate (their misses were read: inserted specifics such as "award-winning" or "and
#: pharmacists", and who-does-what swaps; a hard rule on runs of unmatched words lost more supported sentences than
#: it caught, so no rule was added) and the held-out split is g16-* and g17-* (terse bullet fragments; a verbose
#: explainer with asides; 230 pairs), committed before the refit on sixteen writers' batches, scored once after:
#: 0.929 / 0.793. Floor: those, rounded down.
#: Session 16: g16 and g17 became calibrate (their misses were read: list items added or replaced, antonyms in
#: place, who-does-what swaps; a rule on enumeration items with no cited counterpart caught 6 and lost 30 on
#: calibrate, so no rule was added) and the held-out split is g18-* and g19-* (a cautious adviser in the second
#: person; a recruiter's note of compound sentences; 231 pairs), committed before the refit on eighteen writers'
#: batches and the "lost" / "grown" opposite, scored once after: 0.890 / 0.774 (misses: 8 swaps, 5 inventions,
#: 5 overclaims, 4 contradictions, 4 claims from elsewhere; 8 supported paraphrases removed). The floor follows
#: the set, rounded down: a new writer's figures, not a regression on the same pairs.
#: Session 18: g18 and g19 became calibrate (refit only, on twenty writers' batches; left-out-writer 0.928 / 0.848)
#: and the held-out split is g20-* and g21-* (a terse British executive voice; a hedged chat voice with "Yes"/"No"
#: answers the passage does not give; 258 pairs), written in session 17 and kept unread until the refit, scored
#: once after: 0.909 / 0.827 (misses: 8 swaps, 4 inventions, 4 claims from elsewhere, 3 contradictions, 3
#: overclaims; 5 supported paraphrases removed). Floor: those, rounded down.
#: Session 19: g20 and g21 became calibrate and the held-out split is g22-* and g23-* (a coaching second-person
#: voice adding reasons and certainty; a comparison in prose giving attributes to both roles; 228 pairs), written in
#: session 18 and kept unread, scored once after the new lexical misses (turned comparatives, intensifiers, examples,
#: descriptions and reasons the passage does not give, runs borrowed from an uncited passage, ranking superlatives)
#: and the two-feature refit (left-out-writer 0.961 / 0.893): 0.838 / 0.883. Recall rose 5.6 points; precision
#: fell 7: 19 of 117 supported sentences removed, 11 of them partial statements. Floor: those, rounded down.
#: Then g22 and g23 became calibrate (their misses were read: counts of a listed passage's items, "over time",
#: "alone", "definitely", "doubled", "IT" breaking a borrowed run) and the held-out split is g24-* and g25-* (a
#: board briefing attributing views and adding causes; a recruiter's interview-prep sheet of competencies and
#: probes; 250 pairs), written this session and kept unread, scored once after the refit on 24 batches
#: (left-out-writer 0.958 / 0.893): 0.896 / 0.873. Floor: those, rounded down.
#: Then g24 and g25 became calibrate (a change turned the other way round, "final" and "proven", an "all" after a
#: dash) and the held-out split is g26-* and g27-* (FAQ answers opening "Yes"/"No"; a plain-English explainer with
#: few of the passage's words; 269 pairs), written this session and kept unread, scored once after the refit on 26
#: batches (left-out-writer 0.953 / 0.897): 0.820 / 0.827 (g26 0.830 / 0.815, g27 0.813 / 0.836). A new writer
#: still costs the guard 8 to 13 points against leaving a calibrate writer out. Floor: those, rounded down.
#: Then g26 and g27 became calibrate (an opening answer word such as "No —" frames the claim; "in most cases" vouches
#: for "mostly") and the held-out split is g28-* and g29-* (a due-diligence memo hiding the error in one clause;
#: brisk committee chat messages; 280 pairs), committed apart and unread, scored once after the refit on 28 batches
#: (left-out-writer 0.944 / 0.893): 0.960 / 0.832 (g28 0.969 / 0.840, g29 0.949 / 0.824; misses: 10 swaps, 7
#: inventions, 4 contradictions; precision 0.9597 exactly). Floor: those, rounded down.
FLOOR = {"precision": 0.95, "recall": 0.83}
TARGET = {"precision": 0.90, "recall": 0.90}


@pytest.fixture(scope="module")
def guard(embedder: Embedder) -> Guard:
    return Guard(embedder.encode)


def passages() -> list[Passage]:
    return [
        Passage(1, f"{PRESENCE} {EXPERIENCE}", "cto-role-bonnie-siegel.md", "", CTO, 1.0),
        Passage(2, SECOND_GENERATION, "cmio.md", "", CMIO, 0.9),
    ]


def test_an_invented_number_is_a_lexical_miss() -> None:
    assert lexical_misses("A CTO needs 25 years of experience.", f"{EXPERIENCE}\n{CTO.title}") == ("25",)


def test_a_role_the_cited_article_is_not_about_is_a_lexical_miss() -> None:
    assert lexical_misses("A CMIO needs 5-plus years of experience.", f"{EXPERIENCE}\n{CTO.title}") == ("CMIO",)


def test_a_number_in_words_meets_its_digits() -> None:
    assert lexical_misses("Look for five-plus years of experience.", EXPERIENCE) == ()


def test_a_decade_meets_ten_years_and_an_invented_decade_is_a_miss() -> None:
    assert lexical_misses("The club has met for more than ten years.", "The club has met for over a decade.") == ()
    assert lexical_misses("Over the past decade the club has grown.", "The club has grown.") == ("10",)


def test_an_invented_name_is_a_lexical_miss() -> None:
    assert "Mayo" in lexical_misses("The ideal CTO worked at the Mayo Clinic.", PRESENCE)


def test_a_name_the_source_line_holds_is_no_miss() -> None:
    assert (
        lexical_misses("Bonnie Siegel says a CTO needs executive presence.", f"{PRESENCE}\n{CTO.title} Bonnie Siegel")
        == ()
    )


def test_a_widened_claim_is_a_lexical_miss() -> None:
    assert "always" in lexical_misses("The CTO must always translate technical concepts.", PRESENCE)


def test_a_quantifier_of_the_same_reach_is_no_miss() -> None:
    assert lexical_misses("Lead every network activity.", "Lead all network activities.") == ()
    assert lexical_misses("CMIOs are generally strategic.", "CMIOs tend to be strategic.") == ()
    assert "always" in lexical_misses("CMIOs are always strategic.", "CMIOs tend to be strategic.")


def test_any_and_easily_widen_a_claim() -> None:
    cited = "Nurses from other hospitals can move into the clinic's manager roles."
    assert "any" in lexical_misses("Nurses from any hospital can move into the clinic's manager roles.", cited)
    assert "easily" in lexical_misses("Nurses from other hospitals can easily move into the manager roles.", cited)
    assert "any" not in lexical_misses(
        "Any nurse manager covers every shift.", "Every nurse manager covers all shifts."
    )


def test_two_phrases_that_trade_places_are_a_swap() -> None:
    cited = "Some health systems don't know what to do with their CMIOs after the implementation is done."
    assert exchanges("Some CMIOs don't know what to do with their health systems after the implementation.", cited)
    skills = "Skills from other industries are transferable to healthcare and provide fresh insight."
    assert exchanges("Skills from healthcare are transferable to other industries and provide fresh insight.", skills)
    assert exchanges(skills, skills) == []
    assert exchanges("The CIO reports to the CTO about the search.", "The CTO reports to the CIO about the search.")


def test_a_cause_made_the_effect_is_a_reversal() -> None:
    """Written for this rule (not a calibrate pair): a hospital's staffing and its budget."""
    cited = (
        "Because the budget for nursing in the hospital is so tight, this has forced nurse managers to cover shifts."
    )
    flipped = "Because nurse managers have covered shifts, the budget for nursing in the hospital has become tight."
    assert reversed_causes(flipped, cited) == ["reversed cause and effect"]
    assert reversed_causes(
        "The ward grew busier because the clinic team has grown.",
        "The clinic team has grown, as the ward grows busier.",
    )
    moved = "Nurse managers have had to cover shifts because the nursing budget in the hospital is so tight."
    assert reversed_causes(moved, cited) == []  # the clauses moved, the cause stayed the cause
    assert reversed_causes("The nursing budget is tight.", cited) == []
    made = "Nurse managers covering shifts is what has made the nursing budget in the hospital so tight."
    assert reversed_causes(made, cited) == ["reversed cause and effect"]
    straight = "The tight nursing budget in the hospital has made nurse managers cover shifts."
    assert reversed_causes(straight, cited) == []


def test_a_passive_that_makes_the_object_the_doer_is_a_miss() -> None:
    """Written for this rule (not calibrate pairs): who teaches whom on a ward."""
    cited = "Charge nurses were responsible for coaching new residents and staff, and for training them on the ward."
    assert exchanged_agent("Charge nurses were coached and trained by residents.", cited) == ["made residents the doer"]
    assert exchanged_agent("New residents were coached by charge nurses.", cited) == []  # the doer stays the doer
    assert exchanged_agent("New residents and staff were trained on the ward.", cited) == []  # no agent named
    assert exchanged_agent("Residents were coached by nurses.", "Residents were coached by nurses on the ward.") == []


def test_a_partial_statement_of_a_long_list_meets_its_items(guard: Guard) -> None:
    """The closest segments joined (Features.segments), not the whole list, are what a partial claim is held to."""
    cited = (
        "Background in project management and planning, process mapping, group presentation, leadership, team "
        "building, written and verbal communication, analytical and organizational skills and budget management."
    )
    claim = "A background in project management and in budget management is among the qualities listed."
    features = guard.features(claim, [cited])
    assert features.segments > features.unit  # the whole list, one unit, is further from the claim
    assert features.window == features.segments


def test_phrases_of_one_list_may_trade_places() -> None:
    cited = "The CTO training and skills from other industries are transferable to healthcare."
    paraphrase = "Skills and training that CTOs build in other industries are transferable to healthcare."
    assert exchanges(paraphrase, cited) == []


def test_a_list_join_does_not_reach_across_a_clause() -> None:
    source = "A good nurse manager can come from a hospital ward or a clinic."
    assert exchanges("A good clinic manager can come from a hospital ward or a nurse team.", source)
    assert exchanges("A good nurse manager can come from a clinic or a hospital ward.", source) == []


def test_a_paraphrase_that_moves_a_whole_clause_is_no_swap() -> None:
    cited = "Because talent demand in healthcare is huge, professionals from other industries bridge into CTO roles."
    moved = "Professionals from other industries bridge into CTO roles because talent demand in healthcare is huge."
    assert exchanges(moved, cited) == []


def test_denying_words_the_cited_text_lacks_are_counted() -> None:
    cited = "First-generation CMIOs had significant responsibility for implementing clinical systems."
    assert denials("First-generation CMIOs had little responsibility for implementing clinical systems.", cited) == 1
    assert denials("Coaches don't need Latin.", "A coach does not need Latin.") == 0


def test_a_credential_the_cited_text_lacks_is_a_lexical_miss() -> None:
    assert "M.D." in lexical_misses(
        "Pat Lee, M.D., leads the search practice.", "Pat Lee, J.D. leads the search practice."
    )
    assert lexical_misses("Pat Lee, Ph.D., leads it.", "Pat Lee, PhD, leads it.") == ()


def test_one_of_the_most_narrowed_to_the_most_is_a_lexical_miss() -> None:
    cited = "One of the most demanding roles in a hospital is the night manager."
    assert "the most" in lexical_misses("The night manager is the most demanding role in a hospital.", cited)
    assert lexical_misses("The night manager is one of the most demanding roles in a hospital.", cited) == ()


def test_an_ordinal_generation_must_match() -> None:
    assert lexical_misses("First-generation CMIOs tend to be strategic.", SECOND_GENERATION) == ("first-",)


def test_a_negated_word_the_source_asserts_is_reversed() -> None:
    found = reversals("Sales skills are not transferable to teaching.", "Sales skills are transferable to teaching.")
    assert "reversed transferable" in found
    assert reversals("Sales skills do not transfer to teaching.", "Sales skills are transferable to teaching.")


def test_the_same_negation_in_other_words_is_no_reversal() -> None:
    assert reversals("Coaches do not have to be fluent in Latin.", "A coach does not need to be fluent in Latin.") == []
    assert reversals("Not only patience but humour helps.", "Patience and humour help.") == []


def test_a_negated_negative_verb_asserts() -> None:
    assert reversals("Don't overlook candidates from small firms.", "Candidates can come from small firms.") == []


def test_a_floating_all_widens_nothing() -> None:
    cited = "Ability to listen effectively and have an unfailing sense of humor."
    assert lexical_misses("Listening well and a sense of humor may all be wanted.", cited) == ()
    assert "all" in lexical_misses("All CTOs listen well.", cited)


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


def test_an_antonym_of_the_sources_word_is_a_lexical_miss() -> None:
    assert antonyms("The market has shrunk.", "The market has grown.") == ["shrink against grow"]
    assert antonyms("Call before the meeting starts.", "Call after the meeting ends.") == ["before against after"]
    assert "shrink against grow" in lexical_misses("The market has shrunk.", "The market has grown.")


def test_an_antonym_the_source_also_holds_is_no_miss() -> None:
    assert antonyms("Budgets grew and then shrank.", "Budgets shrank after they grew.") == []


def test_a_role_acronym_the_cited_text_does_not_name_is_a_miss_unless_it_is_the_reader() -> None:
    source = "The CFO is responsible for the annual budget."
    assert "COO" in lexical_misses("The COO is responsible for the annual budget.", source)
    assert lexical_misses("CIOs should ask who owns the annual budget: the CFO.", source) == ()
    assert lexical_misses("CIOs shouldn't forget that the CFO owns the annual budget.", source) == ()
    assert lexical_misses("As a CIO, know that the CFO owns the annual budget.", source) == ()
    assert lexical_misses("A CIO may want to ask the CFO about the annual budget.", source) == ()
    assert "CIO" in lexical_misses("The CFO reports to the CIO on the annual budget.", source)
    # Only the CIO reads the answer: another role before "should" or "will" is a claim about that role.
    assert "COO" in lexical_misses("The COO should own the annual budget.", source)
    assert "CTO" in lexical_misses("More and more CTOs will own the annual budget.", source)


def test_numbers_that_trade_what_they_count_are_a_miss() -> None:
    source = "The survey covered four regions and 30 hospitals."
    assert lexical_misses("The survey covered 30 regions and four hospitals.", source)
    assert lexical_misses("Thirty hospitals in four regions were surveyed.", source) == ()


def test_paraphrases_of_rank_title_and_preference_are_no_miss() -> None:
    assert (
        lexical_misses("Nursing ranks among the most demanding jobs.", "One of the most demanding jobs is nursing.")
        == ()
    )
    assert lexical_misses("They interviewed Dr. Ann Lee.", "They interviewed Ann Lee, M.D., a surgeon.") == ()
    assert "Dr" in lexical_misses("They interviewed Dr. Ann Lee.", "They interviewed Ann Lee, a surgeon.")
    assert lexical_misses("Teams are putting safety ahead of speed.", "Teams will prioritize safety over speed.") == ()
    assert lexical_misses("Find someone whose patience never quits.", "Look for unfailing patience.") == ()
    assert lexical_misses("Buyers often pick the cheaper plan.", "Buyers pick the cheaper plan.") == ()


def test_narrowing_a_claim_to_its_main_part_is_a_miss() -> None:
    assert "mainly" in lexical_misses("Nurses mainly work nights.", "Nurses work nights and days.")
    assert lexical_misses("Nurses largely work nights.", "Nurses mostly work nights.") == ()
    assert lexical_misses("Get the most out of the tools.", "Optimise the tools.") == ()


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


def test_a_lead_or_a_statement_of_silence_asserts_nothing() -> None:
    assert asserts_nothing("Here is what the articles say about hiring a CTO:", "What should I look for in a CTO?")
    assert asserts_nothing("The articles do not cover salaries.")
    assert not asserts_nothing("A CTO needs executive presence.", "What should I look for in a CTO?")


def test_clauses_split_a_true_clause_from_an_added_one() -> None:
    parts = clauses("The CMIO role has been in place for over a decade and usually reports to the chief executive.")
    assert len(parts) == 2


def test_supported_sentences_stay_and_an_invention_with_a_valid_citation_goes(guard: Guard) -> None:
    text = (
        "Look for executive presence and the ability to translate complex technical concepts into laymen's terms [1].\n"
        "The ideal CTO has 25 years of experience at the Mayo Clinic and a doctorate in quantum computing [1]."
    )
    grounded = guard.check(text, passages(), "What should I look for in a CTO?")
    assert "executive presence" in grounded.text
    assert "Mayo" not in grounded.text and "quantum" not in grounded.text
    assert (grounded.kept, grounded.removed) == (1, 1)


def test_a_paraphrase_is_kept(guard: Guard) -> None:
    grounded = guard.check(
        "Second-generation CMIOs are more strategic, planning the right IT investments with senior executives [2].",
        passages(),
    )
    assert grounded.removed == 0 and grounded.kept == 1


def test_synonyms_align_where_new_words_do_not(guard: Guard) -> None:
    """Each sentence word meets its nearest cited word: a paraphrase's synonyms align, an invention's words do not."""
    cited = ["Someone who has been trained in large complex military or government IT roles would be a good contender."]
    paraphrase = guard.features("Candidates schooled in big IT operations in the armed forces could contend.", cited)
    invention = guard.features("Candidates should present a budget for onboarding and a vacation plan.", cited)
    assert paraphrase.align > invention.align and paraphrase.align_low < invention.align_low


def test_an_advice_frame_does_not_hide_a_supported_claim(guard: Guard) -> None:
    """The sentence is also read as its bare claim: "CIOs should consider candidates with" adds no evidence."""
    cited = ["Someone who has been trained in large complex military or government IT roles would be a good contender."]
    framed = guard.features("CIOs should consider candidates with military or government IT backgrounds.", cited)
    assert framed.window > framed.unit


def test_a_sentence_citing_nothing_is_checked_against_every_passage(guard: Guard) -> None:
    grounded = guard.check(
        "A hiring manager wants 5-plus years of experience from a similar health organization.\n"
        "Most CTOs come from the Cleveland Clinic.",
        passages(),
    )
    assert "5-plus" in grounded.text and "Cleveland" not in grounded.text


def test_a_sentence_is_checked_against_the_passage_it_cites_not_another(guard: Guard) -> None:
    grounded = guard.check("The hiring manager wants 5-plus years of applicable experience [2].", passages())
    assert grounded.removed == 1


def test_a_bullet_whose_sentences_all_go_goes_with_them(guard: Guard) -> None:
    text = "From the articles:\n- Executive presence matters [1].\n- A CTO should hold a doctorate from Stanford [1]."
    grounded = guard.check(text, passages(), "What should I look for in a CTO?")
    assert grounded.text.splitlines() == ["From the articles:", "- Executive presence matters [1]."]


def test_an_answer_that_loses_most_of_its_claims_is_ungrounded(guard: Guard) -> None:
    text = (
        "- A CTO should hold a doctorate from Stanford [1].\n- CTOs earn 400,000 dollars [1].\n"
        "- Executive presence matters [1]."
    )
    assert guard.check(text, passages()).ungrounded()


def test_held_out_pairs_hold_the_floor(guard: Guard) -> None:
    """The pairs were written blind; the model was fitted on the calibrate split only."""
    pairs = [p for p in load_pairs() if p.split == "heldout"]
    assert len(pairs) >= 220  # an empty split would score 1.0 and test nothing
    measured = report("heldout", guard.model, score(guard, pairs, ROOT / "knowledge"))
    assert measured.precision >= FLOOR["precision"]
    assert measured.recall >= FLOOR["recall"]


def test_a_cited_statement_of_silence_does_not_count_as_a_kept_claim(guard: Guard) -> None:
    """Only claims count: "[1] says nothing on salaries" cannot stand in for a supported cited sentence."""
    text = (
        "- The articles do not cover salaries [1].\n"
        f"- {EXPERIENCE}\n"
        "- CTOs earn 400,000 dollars a year at the Mayo Clinic [1]."
    )
    grounded = guard.check(text, passages())
    assert (grounded.kept, grounded.removed, grounded.kept_cited) == (1, 1, 0)
    assert grounded.ungrounded()


def test_in_most_cases_vouches_for_usually_but_the_most_does_not() -> None:
    cited = "They need to be mission-driven and not profit-driven in most cases."
    assert lexical_misses("They usually need to put mission ahead of profit.", cited) == ()
    assert "usually" in lexical_misses("They usually are the most critical hires.", "They are the most critical hires.")


def test_too_new_for_denies_what_follows() -> None:
    cited = "The role has been in place long enough that we now see a second generation making its mark."
    assert denials("The role is too new for a second generation to have made its mark.", cited) == 1
    assert denials("The second generation is making its mark, too.", cited) == 0


def test_a_clause_added_to_a_faithful_claim_is_a_miss(guard: Guard) -> None:
    cited = "A good CTO candidate can come from a healthcare IT vendor or consulting firm."
    added = "A good CTO candidate can come from a healthcare IT vendor, a consulting firm, or a large military role."
    assert any(m.startswith("an added clause") for m in guard.features(added, [cited]).missing)
    assert not guard.features("Good CTO candidates can come from vendors or consulting firms.", [cited]).missing


def test_a_movement_sent_the_other_way_is_a_miss() -> None:
    cited = "Demand is so huge that IT professionals from other industries bridge into healthcare CTO roles."
    assert lexical_misses("Healthcare IT professionals bridge out of healthcare into roles in other industries.", cited)
    assert not lexical_misses("Professionals from other industries move into healthcare CTO roles.", cited)
    outside = "A CTO from outside of healthcare."
    assert not lexical_misses("A CTO from outside healthcare moves into a CTO role.", outside)


def test_judgements_reversed_in_other_words_are_misses() -> None:
    assert lexical_misses("The CMIO is one of the more peripheral positions.", "One of the most critical positions.")
    assert lexical_misses("Demand for talent is modest.", "The technology talent demand is so huge.")
    assert denials("Skills transfer poorly to healthcare.", "Skills are transferable to healthcare.") == 1
    assert denials("Second-generation CMIOs have yet to emerge.", "We now see second-generation CMIOs.") == 1


def test_a_relative_clause_that_adds_a_fact_is_a_miss(guard: Guard) -> None:
    cited = "Raths interviewed Chris Wood, M.D., CMIO at Loyola University Health System in Maywood, Illinois."
    added = "Raths interviewed Chris Wood, M.D., CMIO at Loyola University Health System, who practises as a surgeon."
    assert any(m.startswith("an added clause") for m in guard.features(added, [cited]).missing)


def test_a_comparative_turned_the_other_way_is_a_miss() -> None:
    assert turned_comparatives("The CMIO ranks among the less critical executive positions.", CRITICAL) == [
        "less critical (turned)"
    ]
    assert turned_comparatives("Second-generation CMIOs tend to be less strategic.", SECOND_GENERATION) == [
        "less strategic (turned)"
    ]
    assert turned_comparatives("Second-generation CMIOs are more strategic than before.", SECOND_GENERATION) == []


def test_an_intensifier_the_cited_text_lacks_is_a_miss() -> None:
    assert lexical_misses("The hiring manager insists on 5-plus years of experience.", EXPERIENCE) == ("insists",)
    assert lexical_misses("SFIA is the definitive resource.", "SFIA is a good resource.") == ("definitive",)
    assert lexical_misses("Ethics matter absolutely.", "Absolute ethics matter.") == ()


def test_a_common_opposite_reverses_a_claim_but_a_non_prefix_does_not() -> None:
    assert "different against similar" in lexical_misses(
        "The hiring manager wants experience from a different kind of organization.", EXPERIENCE
    )
    # "non-technical colleagues" names other people; it does not deny "technical" (calibrate: 2 supported
    # sentences removed for one unsupported caught, so a "non-" prefix is no antonym)
    assert antonyms("A CTO explains technical ideas to non-technical colleagues.", "Technical concepts.") == []


def test_more_than_they_get_measures_and_denies_nothing() -> None:
    """'want more from systems than they get today' says what the source says; 'get' is not denied."""
    assert (
        reversals(
            "Physicians want more from information systems than they get today.",
            "Physicians are looking to get more out of information systems than they are currently able to.",
        )
        == []
    )


def test_a_claim_from_a_passage_the_sentence_does_not_cite_is_a_miss() -> None:
    implementation = "First-generation CMIOs had significant responsibility for implementing clinical systems."
    engaging = "They were responsible for engaging physicians and staff and ensuring successful outcomes."
    sentence = "First-generation CMIOs implemented clinical systems and engaged physicians and staff."
    assert borrowed(sentence, implementation, [engaging]) == [
        "from an uncited passage: engaged physicians",
        "from an uncited passage: engaged physicians staff",
        "from an uncited passage: physicians staff",
    ]
    # two words, one of which the cited text holds, are a paraphrase's as often as a borrowing
    assert borrowed("CMIOs lead clinical staff.", implementation, ["Clinical staff need training."]) == []
    assert borrowed(sentence, f"{implementation} {engaging}", []) == []
    # names and roles make no run: a speaker ("Dr. Wood says") frames a claim
    assert borrowed("Dr. Wood says CMIOs lead.", implementation, ["Dr. Wood says a lot."]) == []


def test_the_guard_removes_a_claim_borrowed_from_an_uncited_passage(guard: Guard) -> None:
    text = "Second-generation CMIOs can manage people and communicate effectively [2]."
    grounded = guard.check(text, passages())
    assert grounded.removed == 1
    assert "uncited passage" in grounded.verdicts[0].reason


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


def test_a_ranking_superlative_the_cited_text_lacks_is_a_miss() -> None:
    contender = "Someone trained in large complex military or government IT roles would be a good contender."
    assert lexical_misses("Military IT people are the strongest contenders.", contender) == ("strongest",)
    assert lexical_misses("Military IT people can be strong contenders.", contender) == ()


def test_a_reason_the_cited_text_does_not_give_is_a_miss() -> None:
    demand = "Because the technology talent demand is so huge, IT professionals bridge into healthcare CTO roles."
    (miss,) = lexical_misses("IT professionals bridge into CTO roles because signing bonuses lure them.", demand)
    assert miss.startswith("a reason the cited text does not give")
    assert lexical_misses("IT professionals bridge into CTO roles because talent demand is huge.", demand) == ()


def test_make_the_most_of_is_an_idiom_not_a_majority() -> None:
    optimize = "CMIOs are transforming along with their systems to optimize the technology."
    assert lexical_misses("CMIOs change with their systems to make the most of technology.", optimize) == ()
    assert lexical_misses("Most CMIOs change with their systems.", optimize) == ("most",)


def test_a_count_of_the_items_the_passage_lists_is_no_miss_but_a_wrong_count_is() -> None:
    areas = "The traditional CTO role over operations, network, infrastructure and PC support has expanded."
    assert (
        lexical_misses("The role covered four areas: operations, network, infrastructure and PC support.", areas) == ()
    )
    assert lexical_misses("The role covered three areas: operations, network and infrastructure.", areas) == ("3",)
    assert lexical_misses("CTO demand has doubled.", "CTO demand has grown.") == ("2x",)


def test_alone_and_definitely_widen_a_claim() -> None:
    manage = "The CTO is responsible for managing the technical services."
    assert lexical_misses("The CTO alone is responsible for managing the technical services.", manage) == ("alone",)
    assert lexical_misses("The CTO is definitely responsible for the technical services.", manage) == ("definitely",)


def test_over_time_is_no_lesser_side() -> None:
    cited = "This will change over time, and more and more CMIOs will prioritize strategy over operations."
    assert reversals("More and more CMIOs will put strategy ahead of operations over time.", cited) == []


def test_a_capitalised_stopword_breaks_a_run() -> None:
    """'IT' is not 'it': 'senior IT executives' holds no run 'senior executives'."""
    bio = "She recruits CMIOs and other senior-level information technology positions."
    assert (
        borrowed("She recruits CMIOs and other senior IT executives.", bio, ["Engaged with senior executives."]) == []
    )


def test_a_change_turned_the_other_way_round_is_a_miss() -> None:
    assert lexical_misses("Someone who can translate laymen's terms into complex technical concepts.", PRESENCE)
    assert lexical_misses("Someone who can translate complex technical ideas into plain language.", PRESENCE) == ()


def test_an_all_after_a_dash_gathers_the_list() -> None:
    ethics = "High degree of confidentiality, maturity, tactfulness and business ethics."
    assert lexical_misses("Confidentiality, maturity, tact and business ethics — all to a high degree.", ethics) == ()


def test_authority_words_the_cited_text_lacks_are_misses() -> None:
    roadmap = "Design and build the strategic IT roadmap."
    assert lexical_misses("You have the final say on the strategic IT roadmap.", roadmap) == ("final",)
    assert lexical_misses("The strategic IT roadmap is proven.", roadmap) == ("proven",)


def test_an_opening_answer_word_frames_the_claim(guard: Guard) -> None:
    """'No —' answers the question; the claim after it is what the passage must support."""
    leader = "In larger health systems, the expanded areas will have their own specialized leader."
    plain = guard.features(
        "In larger health systems, the expanded areas will have their own specialized leader.", [leader]
    )
    framed = guard.features(
        "Not necessarily — in larger health systems, the expanded areas will have their own specialized leader.",
        [leader],
    )
    assert framed.missing == plain.missing == ()
    assert lexical_misses("A mostly mission-driven culture.", "mission-driven in most cases") == ()
