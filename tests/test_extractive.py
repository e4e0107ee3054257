"""Sentence scoring and the cited answer (bot.answer.extractive): the knowledge base's own sentences,
best first, only the strong ones, each cited to a numbered source listed in the footer."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import cast

import numpy as np

from bot.answer.asked import asked_forms, points_elsewhere
from bot.answer.composing import fit, lead_line, number_sources, render, shorter, trim
from bot.answer.extractive import (
    GENERIC,
    KEEP_RATIO,
    Candidate,
    SentencePicker,
    SentenceVectors,
    heads_list,
    refers_back,
    with_continuations,
)
from bot.answer.types import Passage, Point, Source
from ingest.chunking import units
from ingest.embedding.factory import Embedder
from ingest.rolenames import neutral

CTO = Source(0, "The CTO role", "Bonnie Siegel", "Witt/Kieffer", "cto.md")
CMIO = Source(0, "The next CMIO", "Hillary Ross", "", "cmio.md")


def _bag(text: str) -> np.ndarray:
    """A unit vector of the text's words, hashed into 64 dimensions: shared words mean similar vectors."""
    vector = np.zeros(64, dtype=np.float32)
    for word in re.findall(r"[a-z]+", text.lower()):
        vector[int(hashlib.md5(word.encode(), usedforsecurity=False).hexdigest(), 16) % 64] += 1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


class BagOfWords:
    """Stands in for the embedding model: deterministic, instant, and similar where words are shared."""

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += texts
        return [_bag(t).tolist() for t in texts]


def _query(text: str) -> list[float]:
    """The question's vector, as the caller hands it to candidates()."""
    return [float(x) for x in _bag(text)]


def _picker() -> tuple[SentencePicker, BagOfWords]:
    model = BagOfWords()
    return SentencePicker(SentenceVectors(cast(Embedder, model))), model


def _passage(text: str, source: Source = CTO, n: int = 1, headings: str = "") -> Passage:
    return Passage(n, text, source.path, headings, source, 1.0)


def _candidate(text: str, score: float, vector: np.ndarray, source: Source = CTO, position: int = 0) -> Candidate:
    return Candidate(text, _passage(text, source), score, score, vector, position=position)


PICK = SentencePicker(cast(SentenceVectors, None)).pick
"""pick() works on candidates already scored: it never needs the vectors' cache."""


def _axis(i: int) -> np.ndarray:
    """Orthogonal unit vectors: candidates that are all distinct from one another."""
    vector = np.zeros(8, dtype=np.float32)
    vector[i] = 1.0
    return vector


# ------------------------------------------------------------------------------------------ scoring


def test_the_sentence_closest_to_the_question_ranks_first() -> None:
    picker, _ = _picker()
    text = "The CTO plays golf on Fridays. The CTO owns the technology roadmap and budget. Offices are quiet."
    ranked = picker.candidates("Who owns the roadmap and budget?", [_passage(text)], _query("owns roadmap budget"))
    assert ranked[0].text == "The CTO owns the technology roadmap and budget."
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)


def test_every_sentence_of_every_passage_is_a_candidate() -> None:
    picker, _ = _picker()
    passages = [_passage("One thing. Another thing."), _passage("A third thing.", CMIO, n=2)]
    ranked = picker.candidates("thing", passages, _query("thing"))
    assert sorted(c.text for c in ranked) == ["A third thing.", "Another thing.", "One thing."]


def test_a_list_intro_line_is_not_quoted_but_its_items_are() -> None:
    picker, _ = _picker()
    text = "Key qualities may include:\n- Critical thinking\n- Business ethics"
    ranked = picker.candidates("qualities", [_passage(text, headings="Key qualities")], _query("qualities"))
    assert sorted(c.text for c in ranked) == ["Business ethics", "Critical thinking"]
    assert all(c.listed for c in ranked)


def test_no_passages_mean_no_candidates() -> None:
    picker, _ = _picker()
    assert picker.candidates("anything", [], _query("anything")) == []


def test_sentences_are_scored_without_role_names() -> None:
    """Retrieval has filtered by role already: a sentence ranks for what it says, not for naming the role."""
    picker, model = _picker()
    picker.candidates("What does a CTO own?", [_passage("The CTO owns the roadmap.")], _query("own"))
    # The role in general (GENERIC, what neutral() makes of any role's name) is embedded once, to weigh
    # which kept point opens.
    assert model.embedded == ["The executive owns the roadmap.", GENERIC]


def test_a_sentence_is_embedded_once_however_often_it_is_scored() -> None:
    picker, model = _picker()
    for _ in range(3):
        picker.candidates("roadmap", [_passage("The roadmap matters.")], _query("roadmap"))
    assert model.embedded == ["The roadmap matters.", GENERIC]


def test_a_sentence_of_the_wanted_facet_ranks_higher() -> None:
    picker, _ = _picker()
    passage = Passage(1, "Skills matter. Skills count.", "cto.md", "", CTO, 1.0, facets=("trend", "quality"))
    plain = picker.candidates("skills", [passage], _query("skills"))
    wanted = picker.candidates("skills", [passage], _query("skills"), frozenset({"quality"}))
    assert wanted[0].facet == "quality"
    assert max(c.score for c in wanted) > max(c.score for c in plain)


def test_a_sentence_that_only_points_to_another_text_opens_no_answer_unless_reading_is_asked_for() -> None:
    picker, _ = _picker()
    text = (
        "I encourage you to read more on second-generation leaders. Second-generation leaders are strategic, "
        "visionary and engaged with senior executives on planning investments in technology."
    )
    words = "second-generation leaders"
    focus = picker.pick(picker.candidates(f"What do {words} focus on?", [_passage(text)], _query(words)), 5, 1)
    assert focus[0].text.startswith("Second-generation leaders are strategic")  # the closer pointer does not open
    assert len(focus) == 2  # it may still be kept as a point
    reading = frozenset({"reading"})
    asked = picker.candidates(f"What should I read on {words}?", [_passage(text)], _query(words), forms=reading)
    pointer = next(c for c in asked if c.text.startswith("I encourage"))
    assert pointer.particular > next(c for c in focus if c.text.startswith("I encourage")).particular


def test_what_a_named_person_says_asks_for_the_speaker_form() -> None:
    assert "speaker" in asked_forms("What does Chris Wood of Loyola University Health System say about the role?")
    assert "speaker" in asked_forms("What did Dr. Wood predict?")
    assert "speaker" not in asked_forms("What does the article say about CTOs?")
    assert "speaker" not in asked_forms("what do they say about it?")


def test_who_wrote_a_piece_asks_for_its_authors_own_lines_not_a_quoted_speaker() -> None:
    """ "Who wrote the piece ..., and what does she do?" opened with whoever the article quotes, since "who wrote"
    asked for a speaker: the author's biography, which names her, is the answer."""
    question = "Who wrote the piece about tech chiefs, and what does she do?"
    assert asked_forms(question) == {"author"}
    assert "speaker" in asked_forms("Who said that tech chiefs negotiate?")
    picker, _ = _picker()
    text = "“Tech chiefs negotiate with every vendor,” Dr. Wood says. Bonnie Siegel leads the search for tech chiefs."
    ranked = picker.candidates(question, [_passage(text)], _query("tech chiefs"), forms=asked_forms(question))
    assert ranked[0].text.startswith("Bonnie Siegel leads")


def test_why_someone_would_work_out_asks_for_the_upside() -> None:
    assert "upside" in asked_forms("Why would someone from outside healthcare even work out in that seat?")
    assert "upside" not in asked_forms("Why did the CTO role grow?")


def test_reading_questions_ask_for_the_reading_form() -> None:
    assert "reading" in asked_forms("What should I read to learn more about second-generation CMIOs?")
    assert "reading" not in asked_forms("What did second-generation CMIOs focus on?")
    assert points_elsewhere("I encourage you to read Raths' article to learn more about this trend.")
    assert not points_elsewhere("Second-generation CMIOs tend to be more strategic and visionary.")


def test_role_names_become_a_neutral_word() -> None:
    assert neutral("The CTO and the chief medical information officer") == "The executive and the executive"


# ------------------------------------------------------------------------------------------ picking


def test_the_best_point_comes_first() -> None:
    ranked = [_candidate("best", 1.0, _axis(0)), _candidate("good", 0.9, _axis(1))]
    assert [c.text for c in PICK(ranked, 5, 1)] == ["best", "good"]


def test_points_below_the_keep_ratio_are_dropped() -> None:
    weak = KEEP_RATIO * 0.9
    ranked = [
        _candidate("best", 1.0, _axis(0)),
        _candidate("close", 0.95, _axis(1)),
        _candidate("weak", weak, _axis(2)),
    ]
    assert [c.text for c in PICK(ranked, 5, 1)] == ["best", "close"]


def test_one_strong_point_is_not_padded_with_weak_ones() -> None:
    ranked = [
        _candidate("strong", 1.0, _axis(0)),
        _candidate("weak", 0.3, _axis(1)),
        _candidate("weaker", 0.2, _axis(2)),
    ]
    assert [c.text for c in PICK(ranked, 5, 1)] == ["strong"]


def test_weak_points_are_taken_only_to_reach_the_minimum() -> None:
    ranked = [
        _candidate("strong", 1.0, _axis(0)),
        _candidate("weak", 0.3, _axis(1)),
        _candidate("weaker", 0.2, _axis(2)),
    ]
    assert [c.text for c in PICK(ranked, 5, 2)] == ["strong", "weak"]


def test_no_more_points_than_the_limit() -> None:
    ranked = [_candidate(f"p{i}", 1.0, _axis(i)) for i in range(6)]
    assert len(PICK(ranked, 3, 1)) == 3


def test_a_near_copy_of_a_chosen_point_is_skipped() -> None:
    ranked = [_candidate("said once", 1.0, _axis(0)), _candidate("said again", 0.99, _axis(0))]
    assert [c.text for c in PICK(ranked, 5, 1)] == ["said once"]


def test_the_most_particular_kept_point_opens_the_answer() -> None:
    """Which points are kept is the score's choice; the one that says most in particular, not the role's
    introduction, comes first."""
    intro = replace(_candidate("The CTO role has grown.", 1.0, _axis(0)), particular=0.8)
    answer = replace(_candidate("A CTO can come from a vendor.", 0.9, _axis(1)), particular=0.85)
    weak = replace(_candidate("Unrelated.", 0.1, _axis(2)), particular=0.9)
    assert [c.text for c in PICK([intro, answer, weak], 5, 1)] == [answer.text, intro.text]
    # A weak point, however particular, does not open.
    kept = replace(_candidate("The author leads a practice.", 0.8, _axis(3)), particular=0.95)
    assert [c.text for c in PICK([intro, kept], 5, 1)] == [intro.text, kept.text]
    # Nor does another article's: which article answers is the score's choice.
    other = replace(_candidate("CMIOs implemented systems.", 0.95, _axis(4), CMIO), particular=0.95)
    assert [c.text for c in PICK([intro, other], 5, 1)] == [intro.text, other.text]


def test_a_sentence_that_points_back_is_quoted_in_the_point_it_finishes() -> None:
    """One point per thought: as a bullet of its own, "It breaks skills into ..." read as a second, weaker point."""
    first = _candidate("Be sure to check out SFIA.", 1.0, _axis(0), position=0)
    after = _candidate("It breaks skills into six categories.", 0.2, _axis(1), position=1)
    chosen = with_continuations([first], [first, after])
    assert [(c.text, c.after) for c in chosen] == [(first.text, (after.text,))]
    points, _ = number_sources(chosen)
    assert [p.text for p in points] == [f"{first.text} {after.text}"]
    # Chosen on its own as well, it is still quoted once, in the point it finishes.
    assert [(c.text, c.after) for c in with_continuations([first, after], [first, after])] == [
        (first.text, (after.text,))
    ]


def test_a_sentence_that_opens_by_pointing_back_is_quoted_with_the_one_it_needs() -> None:
    """ "They worked on an important and critical operational level" says nothing of whom on its own; the
    sentences it points back to come with it, in the same point, so the first point still answers."""
    who = _candidate("First-generation CMIOs implemented clinical systems.", 0.3, _axis(0), CMIO, position=0)
    they = _candidate("They worked on an operational level.", 0.9, _axis(1), CMIO, position=1)
    clause = _candidate("As I discussed recently, they were strong in implementation.", 0.8, _axis(2), CMIO, position=2)
    chosen = with_continuations([clause], [clause, they, who])
    assert [c.before for c in chosen] == [(who.text, they.text)]
    points, _ = number_sources(chosen)
    assert points[0].text == f"{who.text} {they.text} {clause.text}"
    # Both chosen, the one pointing back is quoted after the one it needs, once, at the better place.
    assert [(c.text, c.after) for c in with_continuations([they, who], [they, who])] == [(who.text, (they.text,))]


def test_a_sentence_naming_what_the_one_before_said_was_done_is_quoted_after_it() -> None:
    """ "In larger health systems, the expanded areas will have ..." picked alone says nothing of which areas."""
    done = _candidate("The CTO role has expanded to include more areas such as telehealth.", 0.3, _axis(0), position=0)
    areas = "In larger health systems, the expanded areas will have their own specialized leader."
    named = _candidate(areas, 0.9, _axis(1), position=1)
    chosen = with_continuations([named], [named, done])
    assert [c.before for c in chosen] == [(done.text,)]


# ------------------------------------------------------------------------------------------ the cited answer


def _chosen() -> list[Candidate]:
    return [
        _candidate("The CTO owns the roadmap.", 1.0, _axis(0), CTO),
        _candidate("The CMIO bridges doctors and IT.", 0.9, _axis(1), CMIO),
        _candidate("The CTO negotiates contracts.", 0.8, _axis(2), CTO, position=1),
    ]


def test_sources_are_numbered_by_first_appearance() -> None:
    points, sources = number_sources(_chosen())
    assert [(s.n, s.path) for s in sources] == [(1, "cto.md"), (2, "cmio.md")]
    assert [p.source for p in points] == [1, 2, 1]


def test_every_point_cites_an_existing_source_number() -> None:
    points, sources = number_sources(_chosen())
    assert {p.source for p in points} <= {s.n for s in sources}


def test_the_answer_lists_each_point_with_its_citation_then_the_sources() -> None:
    points, sources = number_sources(_chosen())
    text = render("Lead:", points, sources)
    assert text.splitlines() == [
        "Lead:",
        "• The CTO owns the roadmap. [1]",
        "• The CMIO bridges doctors and IT. [2]",
        "• The CTO negotiates contracts. [1]",
        "",
        "Sources:",
        "[1] The CTO role — Bonnie Siegel, Witt/Kieffer",
        "[2] The next CMIO — Hillary Ross",
    ]


def test_fitting_drops_the_weakest_points_and_their_uncited_sources() -> None:
    points, sources = number_sources(_chosen()[:2])
    text = fit("Lead:", points, sources, max_chars=100, minimum=1)
    assert len(text) <= 100
    assert points == [Point("The CTO owns the roadmap.", 1)]
    assert [s.n for s in sources] == [1] and "[2]" not in text


def test_fitting_never_drops_below_the_minimum() -> None:
    points, sources = number_sources(_chosen())
    fit("Lead:", points, sources, max_chars=10, minimum=2)
    assert len(points) == 2


def test_fitting_keeps_each_parts_first_point_longest() -> None:
    """For a question of several parts, the later part's first point is not the first to go."""
    points, sources = number_sources(_chosen())
    last = len(points) - 1
    fit("Lead:", points, sources, max_chars=10, minimum=1, kept_first=[0, last])
    assert len(points) == 1
    points2, sources2 = number_sources(_chosen())
    wanted = points2[last]
    fit(
        "Lead:",
        points2,
        sources2,
        max_chars=len(render("Lead:", [points2[0], wanted], sources2)),
        minimum=1,
        kept_first=[0, last],
    )
    assert points2[-1] == wanted


def test_a_sentence_pointing_back_to_another_chosen_one_is_quoted_after_it_at_the_better_place() -> None:
    """ "In larger health systems, the expanded areas ..." ranked first opened the answer, cut off from the
    sentence it names ("... has expanded to include ..."), which came second as a point of its own."""
    done = _candidate("The CTO role has expanded to include more areas such as telehealth.", 0.8, _axis(0), position=0)
    areas = "In larger health systems, the expanded areas will have their own specialized leader."
    named = _candidate(areas, 0.9, _axis(1), position=1)
    other = _candidate("The CTO owns the roadmap.", 0.85, _axis(2), position=3)
    chosen = with_continuations([named, other, done], [named, other, done])
    assert [(c.text, c.after) for c in chosen] == [(done.text, (areas,)), (other.text, ())]


def test_fitting_shortens_a_point_to_its_own_sentence_before_dropping_it() -> None:
    """A continuation goes before the point it continues, as when it was a bullet of its own: the point stays."""
    first = _candidate("Be sure to check out SFIA.", 1.0, _axis(0), position=0)
    after = _candidate("It breaks skills into six categories and 96 skills.", 0.2, _axis(1), position=1)
    other = _candidate("The CTO owns the roadmap.", 0.9, _axis(2), position=3)
    chosen = with_continuations([other, first], [other, first, after])
    points, sources = number_sources(chosen)
    wanted = [Point(other.text, 1), Point(first.text, 1)]
    fit("Lead:", points, sources, len(render("Lead:", wanted, sources)), 1, short=shorter(chosen))
    assert points == wanted


def test_a_long_sentence_is_trimmed_at_a_clause_with_an_ellipsis() -> None:
    sentence = "The CTO owns the technology roadmap for the whole system; " + "and also much else " * 20
    short = trim(sentence, 100)
    assert short == "The CTO owns the technology roadmap for the whole system…"


def test_a_long_sentence_with_no_clause_in_its_second_half_is_trimmed_at_a_word() -> None:
    sentence = "The CTO, " + "owns much " * 20
    short = trim(sentence, 50)
    assert short.endswith("much…") and len(short) <= 50


def test_a_short_sentence_is_never_changed() -> None:
    assert trim("The CTO owns the roadmap.") == "The CTO owns the roadmap."


def test_the_lead_names_the_authors_and_the_role() -> None:
    chosen = _chosen()
    _, sources = number_sources(chosen)
    assert (
        lead_line(chosen, sources, ["CTO"]) == "Here is what Bonnie Siegel and Hillary Ross write about the CTO role:"
    )


def test_heads_list_marks_the_sentence_a_list_details() -> None:
    """The section's own summary ("... is responsible for ... Here are some examples:") heads the list; an item,
    the intro line, and a sentence followed by more prose do not."""
    found = units(
        "The CTO is responsible for managing the technical services. Here are some examples:\n\n"
        "- Design the roadmap.\n- Monitor capacity.\n\nA closing sentence. Another one."
    )
    assert [heads_list(found, i) for i in range(len(found))] == [True, False, False, False, False, False]


def test_a_sentence_naming_what_the_one_before_said_was_done_continues_it() -> None:
    before = "The traditional CTO role has expanded to include more areas such as analytics and security."
    assert refers_back("In larger health systems, the expanded areas will have their own specialized leader.", before)
    assert not refers_back("The CMIO role continues to be defined.", before)
    assert not refers_back("In larger health systems, the combined areas have one leader.", before)
