"""The scope decision's parts: the articles' own names, the share of a question the articles hold, the
span that names what a gap asks for, the fitted model, and typo correction against the vocabulary."""

from __future__ import annotations

import numpy as np

from bot.answer.scope import FEATURES, Evidence, ScopeModel, holds, names_in, unmatched_span, weighted_share
from bot.answer.spelling import Speller
from ingest.lexicon import kb_names

TEXT = (
    "Raths has also written a follow-up article, based on an interview with Chris Wood, M.D., CMIO at "
    "Loyola University Health System in Maywood, Illinois. Be sure to check out SFIA – Skills Framework "
    "for the Information Age. It breaks down technology skills into six categories and 96 skills.\n"
    "- Design and build the strategic IT roadmap.\n\n## About the Author\n\nHillary Ross, J.D. leads "
    "Witt/Kieffer’s IT practice. The Chief Technology Officer role has grown."
)


def test_the_articles_names_are_found_in_their_text() -> None:
    names = kb_names([TEXT])
    assert {"chris wood", "loyola university health system", "sfia", "96", "hillary ross", "witt/kieffer"} <= names
    # Ordinary words, a bullet's or a sentence's first word, and role titles are not names.
    assert not {"design", "it", "raths", "be", "chief technology officer", "cmio"} & names


def test_a_question_uses_a_name_in_any_case_as_whole_words() -> None:
    names = kb_names([TEXT])
    assert names_in("what does chris wood say?", names) == ["chris wood"]
    assert names_in("is sfia useful", names) == ["sfia"]
    assert names_in("what could it be?", names) == []


def test_rare_words_weigh_most_in_the_share_the_articles_hold() -> None:
    idf = {"salary": 3.0, "cto": 1.0}.__getitem__
    assert weighted_share(["salary", "cto"], {"cto"}.__contains__, idf) == 0.25
    assert weighted_share([], {"cto"}.__contains__, idf) == 1.0


def test_a_gap_names_what_no_passage_addresses() -> None:
    known = {"cto", "health", "system"}.__contains__
    question = "What's a typical base salary range for a health system CTO? I need a number."
    assert unmatched_span(question, known) == "base salary range"  # "typical" frames the question
    assert unmatched_span("health system CTO?", known) == ""


def model(answer: float, gap: float, decline: float) -> ScopeModel:
    """A model whose decision is its intercepts alone."""
    zeros = np.zeros(len(FEATURES))
    return ScopeModel(
        ("answer", "gap", "decline"), np.zeros((3, len(FEATURES))), np.array([answer, gap, decline]), zeros, zeros + 1
    )


def evidence(entity: float) -> Evidence:
    return Evidence(dense=0.1, sentence=0.1, known=0.0, matched=0.0, entity=entity, role=0.0)


def test_a_question_that_names_the_articles_is_never_declined() -> None:
    declining = model(0.0, -1.0, 2.0)
    assert declining.decide(evidence(0.0)) == "decline"
    assert declining.decide(evidence(1.0)) == "answer"
    assert model(-1.0, 0.0, 2.0).decide(evidence(1.0)) == "gap"


def test_the_shipped_model_matches_the_features() -> None:
    shipped = ScopeModel.load()
    assert set(shipped.classes) == {"answer", "gap", "decline"} and shipped.coef.shape == (3, len(FEATURES))


def test_typos_are_corrected_into_the_articles_words_only() -> None:
    speller = Speller.from_texts(
        ["What applicable experience from a similar health organization?"], frozenset({"salary"})
    )
    assert speller.correct("wht yrs of experiance frm a simlar helth org") == (
        "wht years of experience frm a similar health organization"
    )
    # Known words are never "corrected", whether the articles use them or only the model knows them.
    assert speller.correct("salary of a similar organization") == "salary of a similar organization"
    assert speller.correct("EXPERIANCE") == "EXPERIENCE"
    assert speller.correct("whats a similar one") == "whats a similar one"  # an apostrophe left out is no typo


def test_chat_shorthand_is_written_out() -> None:
    """ "yrs", "exp", "1st gen" are no typos (no edit distance reaches "years"), yet they must retrieve as meant."""
    speller = Speller.from_texts(["Someone with 5-plus years of experience; a first-generation CMIO."], frozenset())
    assert speller.correct("cto yrs exp must-have") == "cto years experience must-have"
    assert speller.correct("cmio 1st gen vs 2nd-gen") == "cmio first generation vs second-generation"
    assert speller.correct("execs w/ mgmt exp") == "executives with management experience"
    assert speller.correct("a generic question") == "a generic question"  # only whole words


def test_a_word_the_model_knows_better_wins_over_an_articles_near_miss() -> None:
    """ "explane" means "explain", which no article uses, not the articles' "expanded"; and a word derived from a
    known one ("technologist" from "technology") is English, not a typo."""
    speller = Speller.from_texts(["The role has expanded to new technologies."], frozenset({"explain", "technology"}))
    assert speller.correct("can they explane it") == "can they explain it"
    assert speller.correct("physician-technologist leaders") == "physician-technologist leaders"
    assert speller.correct("it has expandd") == "it has expanded"  # a typo is still corrected


def test_a_known_words_own_forms_are_no_typos() -> None:
    """ "earns" was read as the articles' "learns": the tokenizer knows "earn" but has no piece for "earns"."""
    speller = Speller.from_texts(["Leaders who learns fast."], frozenset({"earn", "hire", "plan", "city"}))
    assert speller.correct("If a CTO earns more") == "If a CTO earns more"
    assert speller.correct("hired after planning in two cities") == "hired after planning in two cities"
    assert speller.correct("leadres who lerns") == "leaders who learns"  # typos still are


def test_a_word_made_from_a_known_one_with_able_is_no_typo() -> None:
    """ "What is the CTO answerable for?" was shown as "What is the CTO transferable for?"."""
    speller = Speller.from_texts(["Skills are transferable to healthcare."], frozenset({"answer", "depend"}))
    assert speller.correct("What is the CTO answerable for?") == "What is the CTO answerable for?"
    assert speller.correct("a dependable CTO") == "a dependable CTO"
    assert Speller.from_texts(["Adorable."], frozenset({"do"})).correct("is it doable") == "is it doable"
    assert speller.correct("skills are transferible") == "skills are transferable"  # typos still are
    speller = Speller.from_texts(["Projects must stay manageable."], frozenset({"manage"}))
    assert speller.correct("is it managable") == "is it manageable"  # not "manage" made an adjective


def test_a_long_word_of_the_same_stem_is_held_a_short_one_is_not() -> None:
    held = holds({"outside", "strategic", "role"})
    assert held("outsiders") and held("strategy") and held("role")
    assert not held("roles") and not held("outcome")
