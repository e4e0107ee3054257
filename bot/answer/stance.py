"""Who holds a claim and how firmly: a view given to a speaker other than the one the passage names ("says Hillary
Ross" for "Dr. Wood says"), and a possibility raised to a requirement ("must come from" for "can come from").

Why: both keep every other word of the passage, so MiniLM likens the sentence to it as closely as a faithful
restatement, and both change what a CIO would act on: whose word it is, and whether it is a rule. Read lexically,
with patterns of English (speech verbs, modal verbs), not of any one article.
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
