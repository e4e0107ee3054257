"""Yes/no questions asking whether a role is a kind of job: "Is the CMIO still mainly an implementation role?"

The answer is the sentence that says it is, or is not, that kind of job ("This isn't an implementation job"):
the question's own word before its head noun, said of a job in the sentence. MiniLM ranks that sentence below
ones about the role in general. Hand-written: a grammatical shape, with the word taken from the question.
"""

from __future__ import annotations

import re

from bot.answer.followup import own_words

_HEADS = r"(?:role|job|position|post|function|seat)s?"
_ASKED = re.compile(rf"^\s*(?:is|are|was|isn't|aren't)\b.{{0,80}}?\b(?:an?|the)\s+([a-z][\w-]+)\s+{_HEADS}\b", re.I)


def asked_kind_of_job(question: str) -> str | None:
    """The kind of job a yes/no question asks about ("implementation"), from its own words only: a follow-up's
    earlier question, in brackets, does not count."""
    own = own_words(question).replace("’", "'")
    found = _ASKED.match(own)
    return found.group(1).lower() if found else None


def says_kind_of_job(kind: str, sentence: str) -> bool:
    """Whether a sentence says something is, or is not, that kind of job ("This isn't an implementation job")."""
    text = sentence.replace("’", "'")
    return bool(
        re.search(
            rf"\b(?:is|isn't|are|aren't|was|wasn't|'s)\s+(?:not\s+)?(?:an?\s+)?{re.escape(kind)}\s+{_HEADS}\b",
            text,
            re.I,
        )
    )
