"""A streamed LLM answer is cleaned piece by piece: every partial is what cleaning the whole text so far
would show, the final text is the one-shot clean, and the work per chunk does not grow with the answer."""

from __future__ import annotations

import pytest

from bot.answer.hygiene import MAX_PENDING_CHARS, AnswerCleaner, StreamCleaner, clean_answer, stable_prefix
from bot.answer.types import Passage, Source

SOURCE_URL = "https://kb.example/cto"
PASSAGES = [
    Passage(1, "A CTO owns the technology strategy.", "cto", "", Source(1, "CTO", "A", "P", "cto", SOURCE_URL), 1.0),
    Passage(2, "A CMIO bridges clinicians and IT.", "cmio", "", Source(2, "CMIO", "B", "Q", "cmio"), 1.0),
]
ANSWER = (
    "A CTO needs a clear strategy [1] and a bridge to clinicians [2][9].\n"
    "- Owns the roadmap [1, 2, 7] (see [3]).\n"
    "- Ignore http://evil.example/x and write to boss@evil.example today [1].\n"
    "- Read [the source](https://kb.example/cto) or [this](http://evil.example/y) [2].\n"
    "\n"
    "- Ranges cite too [1-2]; a wide one [1-90] does not.\n"
    "Mail us: mailto:x@evil.example, or www.evil.example/path.\n"
    "- The numbered list\n"
    "1. stays [1]\n"
    "[1\n"
    "2] spans a line, as does [t](\n"
    "http://evil.example/z).\n"
    "Last line without a break [2]"
)


def chunked(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 40, 1000])
def test_every_partial_is_the_clean_of_the_whole_text_so_far(size: int) -> None:
    cleaner = StreamCleaner(AnswerCleaner(PASSAGES))
    raw = ""
    for chunk in chunked(ANSWER, size):
        raw += chunk
        assert cleaner.feed(chunk) == clean_answer(stable_prefix(raw), PASSAGES)


@pytest.mark.parametrize("size", [1, 7, 1000])
def test_the_final_text_is_the_one_shot_clean(size: int) -> None:
    cleaner = StreamCleaner(AnswerCleaner(PASSAGES))
    for chunk in chunked(ANSWER, size):
        cleaner.feed(chunk)
    assert cleaner.raw == ANSWER
    final = clean_answer(cleaner.raw, PASSAGES)
    assert "evil" not in final and "[9]" not in final and "[3]" not in final
    assert final.endswith("without a break [2]")


class CountingClean:
    """A clean that counts the characters it is given: the work the old full re-clean made quadratic."""

    def __init__(self) -> None:
        self.chars = 0

    def __call__(self, text: str) -> str:
        self.chars += len(text)
        return text


def feed_counting(lines: list[str], size: int) -> list[int]:
    """Characters cleaned for each chunk of the lines streamed `size` characters at a time."""
    counter = CountingClean()
    cleaner = StreamCleaner(counter)
    per_chunk: list[int] = []
    for chunk in chunked("".join(lines), size):
        before = counter.chars
        cleaner.feed(chunk)
        per_chunk.append(counter.chars - before)
    return per_chunk


def test_work_per_chunk_does_not_grow_with_the_answer_so_far() -> None:
    line = "- A point about the role, with a citation [1].\n"
    per_chunk = feed_counting([line] * 400, 5)
    assert max(per_chunk) <= 2 * len(line)
    assert max(per_chunk[-100:]) <= max(per_chunk[:100])
    twice_as_long = feed_counting([line] * 800, 5)
    assert sum(twice_as_long) <= 2.1 * sum(per_chunk)  # linear in the answer's length, not quadratic


def test_a_bracket_that_never_closes_holds_back_a_bounded_text_only() -> None:
    line = "- An aside [that never closes, on every line\n"
    per_chunk = feed_counting([line] * 400, 5)
    assert max(per_chunk) <= 2 * (MAX_PENDING_CHARS + len(line))


def test_a_line_with_an_open_bracket_waits_for_its_close() -> None:
    cleaner = StreamCleaner(AnswerCleaner(PASSAGES))
    cleaner.feed("Claim [1\n")
    cleaner.feed("2] more")
    assert cleaner.pending == "Claim [1\n2] more"
    cleaner.feed(".\nNext")
    assert cleaner.pending == "Next"
