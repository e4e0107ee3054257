"""The groundedness guard: an LLM sentence reaches the user only if the passage it cites supports it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer.agents import Parser
from bot.answer.claims import lexical_misses
from bot.answer.grounding import Guard
from bot.answer.types import Passage
from bot.quality.grounding import load_pairs, report, score
from ingest.embedding.factory import Embedder
from tests.grounding_cases import CMIO, CTO, EXPERIENCE, PRESENCE, SECOND_GENERATION

ROOT = Path(__file__).resolve().parents[1]

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
#: Session 20: g28 and g29 became calibrate (a prefix read "quite" as the negative verb "quit"; "among others",
#: "gen-1", "generally" on a flat claim were false removals; "unchanged" against a change) and the held-out split is
#: g30-* and g31-* (newsletter takeaways weighted to swaps of who does what; a "be specific" answer weighted to
#: invented specifics; 261 pairs), written in session 19, committed apart and unread, scored once after the refit on
#: 30 batches (left-out-writer 0.952 / 0.889): 0.928 / 0.824 (g30 0.930 / 0.768, 12 of its 16 misses swaps; g31
#: 0.926 / 0.893). Floor: those, rounded down.
#: Then g30 and g31 became calibrate (two roles trading what is said of each; a post or a long description of a
#: person; "For CIOs," addressing the reader) and the held-out split is g32-* and g33-* (an upbeat recruiter's post
#: weighted to contradictions in other words and scope shifts; committee minutes weighted to swaps; 276 pairs),
#: written this session, committed apart and unread, scored once after the refit on 32 batches (left-out-writer
#: 0.953 / 0.888): 0.955 / 0.731 (g32 0.931 / 0.771; g33 0.981 / 0.693, 14 of its 23 misses swaps). Writers briefed
#: for swaps find the guard's weakest side: recall falls 9 points. Floor: those, rounded down.
#: Then g32 and g33 became calibrate (a view given to another speaker; "must" for "can"; a capitalised word after
#: a question mark opens a sentence) and the held-out split is g34-* and g35-* (chat messages weighted to invented
#: specifics; an executive summary weighted to partial claims, swaps and added causes; 261 pairs), written this
#: session, committed apart and unread, scored once after the refit on 34 batches (left-out-writer 0.954 / 0.882):
#: 0.951 / 0.748 (g34 0.934 / 0.803; g35 0.976 / 0.683, 11 of its 19 misses partial claims: one half faithful, the
#: other added). Floor: those, rounded down.
#: Then g34 and g35 became calibrate (roles in lower case; a total given to each of a group; an acronym of the
#: cited text's words) and the held-out split is g36-* and g37-* (direct chat answers attributing claims to authors;
#: a talent team's do-and-don't guide; 282 pairs), written this session, committed apart and unread, scored once
#: after the refit on 36 batches (left-out-writer 0.956 / 0.877): 0.910 / 0.847 (g36 0.905 / 0.803; g37 0.915 /
#: 0.890). Floor: those, rounded down.
#: Then g36 and g37 became calibrate (an attribution opening a sentence is no description) and the held-out split is
#: g38-* and g39-* (a board member's "not X but Y" answers; a recruiter's debrief notes turning verbs into nouns and
#: back; every kind of unsupported sentence; 253 pairs), written this session, committed apart and unread, scored once
#: after the refit on 38 batches (left-out-writer 0.956 / 0.874): 0.876 / 0.748 (g38 0.828 / 0.855: "not X but Y"
#: prose reads as denials to the guard; g39 0.951 / 0.639: nominalised claims). Floor: those, rounded down.
#: Session 21: g38 and g39 became calibrate (a present claim put off into the future or declared finished) and the
#: held-out split is g40-* and g41-* (a CIO's first-person notes; a plain-words explainer for clinicians; 259
#: pairs), written in session 20, committed apart and unread, scored once after the refit on 40 batches
#: (left-out-writer 0.952 / 0.870): 0.907 / 0.754 (g40 0.881 / 0.800; g41 0.939 / 0.708, 6 of its 15 misses swaps
#: of who does what). Floor: those, rounded down.
#: Then g40 and g41 became calibrate ("I’d" is the writer, not a name; "not always" hedges) and the held-out split is
#: g42-* and g43-* (a chat model's bullets with bold lead-ins, weighted to swaps and partial claims; a committee
#: chair's transcribed spoken summary; 268 pairs), written this session, committed apart and unread, scored once
#: after the refit on 42 batches (left-out-writer 0.953 / 0.864): 0.853 / 0.859 (g42 0.803 / 0.869: 22 % of its
#: supported bullets removed, two of them verbatim; g43 0.896 / 0.852). Floor: those, rounded down.
#: Then g42 and g43 became calibrate (a bold bullet label opens its sentence; "Is it settled? Not yet, ..." is
#: framing) and the held-out split is g44-* and g45-* (a recruiter's email naming its sources; a chief of staff's
#: terse text messages; 289 pairs), written this session, committed apart and unread, scored once after the refit
#: on 44 batches (left-out-writer 0.949 / 0.863): 0.928 / 0.899 (g44 0.959 / 0.897; g45 0.900 / 0.900). Floor:
#: those, rounded down.
#: Then g44 and g45 became calibrate (a name must start a word of the cited text: "Ross" had passed as "ro") and the
#: held-out split is g46-* and g47-* (an assistant's answers comparing the roles; a graduate student's formal note in
#: the passive, weighted to invented causes and passive swaps; 278 pairs), written this session, committed apart and
#: unread, scored once after the refit on 46 batches (left-out-writer 0.949 / 0.866): 0.929 / 0.755 (g46 0.957 /
#: 0.918; g47 0.893 / 0.610: 12 invented causes and 10 passive swaps kept). Floor: those, rounded down.
#: Then g46 and g47 became calibrate (causes in a report's words: "is attributed to", "owing to", "results in") and
#: the held-out split is g48-* and g49-* (an assistant's scorecard notes and red flags; a non-native speaker's plain
#: summary weighted to swaps; 273 pairs), written this session, committed apart and unread, scored once after the
#: refit on 48 batches (left-out-writer 0.946 / 0.864): 0.978 / 0.829 (g48 0.986 / 0.886; g49 0.968 / 0.772, 10 of its
#: 18 misses swaps). Floor: those, rounded down.
#: Then g48 and g49 became calibrate (no rule: trading adjacent phrases removed 55 supported for 10 caught) and the
#: held-out split is g50-* and g51-* (a consultant's slide notes full of causes; a journalist's passive, reported
#: write-up; 294 pairs), written this session, committed apart and unread, scored once after the refit on 50 batches
#: (left-out-writer 0.947 / 0.863): 0.938 / 0.8395 (136 of 162; g50 0.974 / 0.914; g51 0.899 / 0.765, 9 of its 19
#: misses swaps). Floor: those, rounded down.
#: Session 22: g50 and g51 became calibrate, who does what is read from a dependency parse (bot.answer.agents: 31
#: caught, 1 supported removed on calibrate) and the held-out split is g52-* and g53-* (an assistant's
#: job-description bullets; a sceptical board member's questions answered as statements; 251 pairs), written in
#: session 21, committed apart and unread, scored once after the refit on 52 batches (left-out-writer 0.953 / 0.870):
#: 0.946 / 0.848 (123 of 145; g52 0.984 / 0.900; g53 0.909 / 0.800, 6 of its 15 misses swaps the parse did not
#: read: the new rule fired on none of the 251 pairs). Floor: those, rounded down.
#: Then g52 and g53 became calibrate, the threshold maximises min(precision, recall) (F1.5's fold thresholds had
#: jumped between two peaks) and names meet however the parser lemmatises them; the held-out split is g54-* and
#: g55-* (a search-committee chair's email recap; a chat assistant's fluent answers; 247 pairs), written this
#: session, committed apart and unread, scored once after the refit on 54 batches (left-out-writer 0.893 / 0.894):
#: 0.902 / 0.851 (120 of 141; g54 0.905 / 0.781, 5 of its 16 misses swaps; g55 0.900 / 0.926). Floor: those,
#: rounded down.
#: Then g54 and g55 became calibrate (no rule: a listed duty given to a noun of the passage caught 7, removed 59
#: supported) and the held-out split is g56-* and g57-* (a recruiter's terse phone messages with abbreviations; a
#: formal British board paper; 286 pairs), written this session, committed apart and unread, scored once after the
#: refit on 56 batches (left-out-writer 0.893 / 0.893): 0.807 / 0.8875 (142 of 160; g56 0.750 / 0.926, 25 of its 64
#: supported fragments removed, 11 by the lexical rules and 14 by the model; g57 0.882 / 0.848). Floor: those,
#: rounded down.
#: Then g56 and g57 became calibrate and the threshold went back to F1 (the min threshold removed short supported
#: claims: test_advisor failed on a fresh clone); the held-out split is g58-* and g59-* (a physician executive
#: explaining the articles to clinicians; an HR partner's labelled summary; 272 pairs), written this session,
#: committed apart and unread, scored once after the refit on 58 batches (threshold 0.19): 0.904 / 0.910 (141 of
#: 155; g58 0.905 / 0.893; g59 0.902 / 0.925). Floor: those, rounded down. One round at target is not the guard's
#: figure: pooled over the ten held-out sets of sessions 21 and 22 it is 0.906 / 0.845.
#: Round 27 (session 23) refitted nothing: g60-* and g61-* (a consultant's verbose answers; a chat model's short
#: shareable facts; 242 pairs), written blind this session, joined g58/g59 in the held-out split, and the same
#: model was scored once on them: 0.904 / 0.918 (123 of 136; g60 0.915 / 0.878; g61 0.892 / 0.967). The whole
#: held-out split, 514 pairs of four writers the model never saw: 0.904 / 0.913 (264 of 292). Floor: that, rounded
#: down.
FLOOR = {"precision": 0.90, "recall": 0.91}
TARGET = {"precision": 0.90, "recall": 0.90}


@pytest.fixture(scope="module")
def guard(embedder: Embedder) -> Guard:
    return Guard(embedder.encode, parser=Parser())


def passages() -> list[Passage]:
    return [
        Passage(1, f"{PRESENCE} {EXPERIENCE}", "cto-role-bonnie-siegel.md", "", CTO, 1.0),
        Passage(2, SECOND_GENERATION, "cmio.md", "", CMIO, 0.9),
    ]


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


UNSEEN = ROOT / "tests" / "eval" / "grounding-unseen.yaml"
#: Pairs on two articles no calibrate pair cites (tests/eval/articles, session 21), scored once with round 17's
#: model: 0.862 / 0.835 (CISO 0.839 / 0.890; CNIO 0.889 / 0.780). Floor: those, rounded down.
#: Session 22, round 23's refit with the who-does-what parse: 0.863 / 0.848 (the parse rule removed 2 sentences;
#: the refit alone gives 0.862 / 0.835). Round 24's threshold (min of precision and recall): 0.865 / 0.8598 (CISO
#: 0.841 / 0.902; CNIO 0.893 / 0.817); round 25's refit, the same. Round 26's (F1 again, threshold 0.19):
#: 0.863 / 0.848 (CISO 0.839 / 0.890; CNIO 0.892 / 0.805). Floor: rounded down.
UNSEEN_FLOOR = {"precision": 0.86, "recall": 0.84}


def test_pairs_on_articles_the_guard_never_saw_hold_their_floor(guard: Guard) -> None:
    """The rules were read from pairs on the two seed articles only; an admin's new article must be judged as well."""
    pairs = load_pairs(UNSEEN)
    assert len(pairs) >= 250
    measured = report("unseen", guard.model, score(guard, pairs, ROOT / "tests" / "eval" / "articles"))
    assert measured.precision >= UNSEEN_FLOOR["precision"]
    assert measured.recall >= UNSEEN_FLOOR["recall"]


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


def test_a_clause_added_to_a_faithful_claim_is_a_miss(guard: Guard) -> None:
    cited = "A good CTO candidate can come from a healthcare IT vendor or consulting firm."
    added = "A good CTO candidate can come from a healthcare IT vendor, a consulting firm, or a large military role."
    assert any(m.startswith("an added clause") for m in guard.features(added, [cited]).missing)
    assert not guard.features("Good CTO candidates can come from vendors or consulting firms.", [cited]).missing


def test_a_relative_clause_that_adds_a_fact_is_a_miss(guard: Guard) -> None:
    cited = "Raths interviewed Chris Wood, M.D., CMIO at Loyola University Health System in Maywood, Illinois."
    added = "Raths interviewed Chris Wood, M.D., CMIO at Loyola University Health System, who practises as a surgeon."
    assert any(m.startswith("an added clause") for m in guard.features(added, [cited]).missing)


def test_the_guard_removes_a_claim_borrowed_from_an_uncited_passage(guard: Guard) -> None:
    text = "Second-generation CMIOs can manage people and communicate effectively [2]."
    grounded = guard.check(text, passages())
    assert grounded.removed == 1
    assert "uncited passage" in grounded.verdicts[0].reason


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


def test_the_guard_removes_a_claim_that_hands_the_passage_s_doing_to_another(guard: Guard) -> None:
    """Every word is the passage's; only who tends to be more strategic has changed (bot.answer.agents)."""
    text = "Senior executives tend to be more strategic and visionary, engaged with second-generation CMIOs [2]."
    grounded = guard.check(text, [Passage(2, SECOND_GENERATION, "cmio.md", "", CMIO, 1.0)])
    assert grounded.removed == 1
    assert "who does it" in grounded.verdicts[0].reason
