"""How `make eval` judges one answer: quoted points matched to the key sentences whatever the quotes,
dashes or trimming, facts in groups, the expected article, and the three expectations."""

from __future__ import annotations

from bot.quality.evaluate import EvalItem, Figures, GoldenQuestion, bullets, from_golden, judge, same_sentence

KEY_SENTENCE = (
    "The hiring manager ideally wants someone with 5-plus years of applicable experience from a similar "
    "health organization."
)
OTHER = "Someone who has been trained in large complex military or government IT roles would be a good contender."


def item(**fields: object) -> EvalItem:
    base: dict[str, object] = {
        "id": "t-1",
        "category": "direct",
        "question": "How many years?",
        "expect": "answer",
        "sources": ["cto-role-bonnie-siegel.md"],
        "key_sentences": [KEY_SENTENCE],
        "supporting": [OTHER],
        "facts": [["5-plus", "five"]],
    }
    return EvalItem.model_validate({**base, **fields})


def answer(*points: str) -> str:
    return "\n".join(
        ["From Bonnie Siegel:", *[f"• {p} [1]" for p in points], "", "Sources:", "[1] The CTO — Bonnie Siegel"]
    )


def test_a_point_matches_its_sentence_whatever_the_quotes_and_trimming() -> None:
    assert same_sentence(KEY_SENTENCE, KEY_SENTENCE)
    assert same_sentence("The “super-techy” nerd…", 'The "super-techy" nerd in the cubicle.')
    assert same_sentence("The hiring manager ideally wants someone with 5-plus years…", KEY_SENTENCE)
    assert same_sentence(
        "Has\u00a0been in place for well over a decade", "The role has been in place for well over a decade."
    )
    assert not same_sentence(OTHER, KEY_SENTENCE)


def test_bullets_are_read_from_the_text_without_their_citations() -> None:
    assert bullets(answer(KEY_SENTENCE, OTHER)) == [KEY_SENTENCE, OTHER]
    assert bullets("• one [1] [2]\nnot a point") == ["one"]


def test_the_first_point_decides_top1_and_every_point_counts_for_precision() -> None:
    right = judge(
        item(), True, answer(KEY_SENTENCE, OTHER, "A filler sentence about nothing."), ["cto-role-bonnie-siegel.md"]
    )
    assert right.ok and right.top1 is True and right.relevant_points == 2 and len(right.points) == 3
    late = judge(item(), True, answer(OTHER, KEY_SENTENCE), ["cto-role-bonnie-siegel.md"])
    assert late.ok and late.top1 is False and late.relevant_points == 2


def test_an_answer_needs_each_fact_group_and_the_expected_article() -> None:
    assert judge(item(), True, answer(OTHER), ["cto-role-bonnie-siegel.md"]).missing == ("5-plus | five",)
    wrong_source = judge(item(), True, answer(KEY_SENTENCE), ["cmio-next-generation-hillary-ross.md"])
    assert not wrong_source.ok and wrong_source.missing == ("source ['cto-role-bonnie-siegel.md']",)
    assert not judge(item(), False, "I can't answer that.", []).ok


def test_declines_and_gaps() -> None:
    off = item(expect="decline", category="off_topic", sources=[], key_sentences=[], supporting=[], facts=[])
    assert judge(off, False, "I can't answer that.", []).ok
    assert not judge(off, True, answer(KEY_SENTENCE), ["x.md"]).ok
    gap = item(expect="gap", category="gap", sources=[], key_sentences=[], supporting=[], facts=[], asks_for="salary")
    assert judge(gap, False, "I can't answer that.", []).ok
    assert judge(gap, True, "The articles do not cover salary.", [], coverage="none").ok
    assert not judge(gap, True, answer(OTHER), ["x.md"], coverage="full").ok
    assert not judge(gap, True, answer(OTHER), ["x.md"]).ok  # no coverage said: quotes passed off as an answer


def test_figures_leave_out_what_a_group_cannot_measure() -> None:
    figures = Figures.of([judge(item(), True, answer(KEY_SENTENCE, OTHER), ["cto-role-bonnie-siegel.md"])])
    assert figures.answer_rate == 1.0 and figures.top1_precision == 1.0 and figures.point_precision == 1.0
    assert figures.decline_rate is None and figures.gap_honesty is None


def test_a_golden_question_becomes_a_dev_item() -> None:
    q = GoldenQuestion(id="g", kind="out_of_scope", question="CFO?", in_scope=False)
    assert from_golden(q).category == "off_topic" and from_golden(q).expect == "decline"
    q = GoldenQuestion(id="g", kind="direct", question="x", in_scope=True, facts=["a | b", "c"])
    assert from_golden(q).facts == [["a", "b"], ["c"]]
