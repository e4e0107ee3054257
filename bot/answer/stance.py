"""Who holds a claim, how firmly and when: a view given to a speaker other than the one the passage names ("says
Hillary Ross" for "Dr. Wood says"), a possibility raised to a requirement ("must come from" for "can come from"),
and a present claim put off into the future ("will eventually allow") or declared finished ("have completed
their transition").

Why: each keeps every other word of the passage, so MiniLM likens the sentence to it as closely as a faithful
restatement, and each changes what a CIO would act on: whose word it is, whether it is a rule, whether it holds
now. Read lexically, with patterns of English (speech verbs, modal verbs, time phrases), not of any one article.
"""

from __future__ import annotations

import re

from bot.answer.retrieval import stem

_SAYS = (
    r"(?:says|said|notes|noted|writes|wrote|argues|argued|observes|observed|explains|explained|told|tells|sees|saw"
    r"|adds|added|recalls|recounts|believes|thinks|insists|warns|suggests)"
)
_TITLE = r"(?:Dr|Mr|Ms|Mrs)\.\s+"
_NAME = rf"((?:{_TITLE})?[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"
_SPEAKER = (re.compile(_NAME + r",?\s+" + _SAYS + r"\b"), re.compile(r"\b" + _SAYS + r"\s+" + _NAME))
_NOT_NAMES = frozenset(
    ["The", "It", "He", "She", "They", "This", "That", "Per", "According", "In", "As", "A", "An", "Some", "Many"]
)


def _speakers(text: str) -> set[str]:
    """The surnames of those the text has say something ("Dr. Wood says", "notes Hillary Ross")."""
    out = set()
    for pattern in _SPEAKER:
        for match in pattern.finditer(text):
            words = re.sub(f"^{_TITLE}", "", match.group(1)).split()
            if words and words[0] not in _NOT_NAMES:
                out.add(words[-1])
    return out


def other_speakers(sentence: str, cited: str) -> list[str]:
    """Speakers of the sentence where the cited text names another speaker, whom the sentence does not mention
    ("'This isn't an implementation job,' says Hillary Ross" for "... Dr. Wood says")."""
    theirs = _speakers(cited)
    if not theirs or any(name in sentence for name in theirs):
        return []
    return sorted(f"said by {name}, not {' or '.join(sorted(theirs))}" for name in _speakers(sentence) - theirs)


_REQUIRED = re.compile(r"\b(?:must|has to|have to|needs? to|should)\s+(?:[a-z]+ly\s+)?([a-z]+)")
_POSSIBLE = re.compile(r"\b(?:can|may|could|might)\s+(?:[a-z]+ly\s+)?([a-z]+)")


def raised_modals(sentence: str, cited: str) -> list[str]:
    """Verbs the sentence requires ("must come from") where the cited text only allows them ("can come from")."""
    lower = cited.lower()
    possible = {stem(m.group(1)) for m in _POSSIBLE.finditer(lower)}
    required = {stem(m.group(1)) for m in _REQUIRED.finditer(lower)}
    return [
        f"required where the cited text allows: {m.group(0)}"
        for m in _REQUIRED.finditer(sentence.lower())
        if stem(m.group(1)) in possible - required
    ]


_FUTURE = re.compile(
    r"\b(?:eventually|(?:in\s+)?the\s+coming\s+years|(?:in\s+)?the\s+next\s+(?:decade|few\s+years)|in\s+the\s+future"
    r"|someday|one\s+day|will\s+(?:begin|start|soon|eventually)|(?:is|are)\s+expected\s+in)\b",
    re.IGNORECASE,
)
_FUTURE_CITED = re.compile(
    r"\b(?:will|going\s+to|future|over\s+time|soon|eventually|next|more\s+and\s+more|increasingly)\b"
)
_FINISHED = re.compile(
    r"\b(?:ha(?:ve|s)\s+(?:now\s+|by\s+now\s+|already\s+)?(?:completed|finished|settled|ended)"
    r"|(?:already|by\s+now)\s+(?:achieved|complete|completed|settled))\b",
    re.IGNORECASE,
)
_FINISHED_CITED = re.compile(r"\b(?:complete|completed|done|finished|settled)\b")


def shifted_time(sentence: str, cited: str) -> list[str]:
    """Time phrases that move the claim out of the cited text's present: into the future ("will eventually",
    "in the coming years") where the cited text says nothing of what is to come, or into the finished past
    ("have completed their transition") where it says nothing is done. Chosen on the calibrate pairs (session 21):
    6 unsupported sentences caught, no supported one removed."""
    lower = cited.lower()
    out = []
    if (m := _FUTURE.search(sentence)) and not _FUTURE_CITED.search(lower):
        out.append(f"put into the future: {m.group(0)}")
    if (m := _FINISHED.search(sentence)) and not _FINISHED_CITED.search(lower):
        out.append(f"declared finished: {m.group(0)}")
    return out
