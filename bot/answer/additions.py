"""What a sentence adds to its passage in passing: an example ("such as cloud migration"), a description of a
person ("Chris Wood, M.D., a board-certified internist, ...") or a reason ("because boards now expect briefings").

Why: each is a claim (about what the passage covers, about who someone is), but it rides on a sentence that
otherwise restates the passage, so MiniLM likens the whole to the passage as closely as without it, and the mean
word overlap hardly moves. Read lexically: the added words must be in the cited text. Words meet by their first six
letters ("databases" meets "database", "specialised" meets "specialized").
"""

from __future__ import annotations

import re

from bot.answer.retrieval import STOPWORDS

#: An example a sentence gives ("such as cloud migration", "particularly banking and retail"), up to the clause's end
#: or its verb; and how its items are told apart.
_EXAMPLES = re.compile(
    r"\b(?:such as|e\.g\.,?|for example|for instance|including|particularly|especially|notably)\s+(.+?)"
    r"(?=[.;:)]|,\s+(?:which|who|while|but|and\s+(?:the|a|an|their|its|will|can|may|is|are))\b"
    r"|,?\s+(?:will|would|can|may|should|must|could|might|is|are|was|were|has|have|to)\b|$)",
    re.IGNORECASE,
)
_ITEMS = re.compile(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+")
#: What closes a list of examples without adding one ("..., and data analytics, among others").
_OPEN_END = re.compile(r"^(?:among|and|or)?\s*(?:others|other things|more|so on|so forth|etc\.?|to name a few)$", re.I)


def _have(cited: str) -> set[str]:
    """The cited text's words, by their first six letters."""
    return {w[:6] for w in re.findall(r"[a-z0-9]+", cited.lower())}


def _words(text: str) -> list[str]:
    """The text's content words, by their first six letters."""
    return [w[:6] for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS]


def invented_examples(sentence: str, cited: str) -> list[str]:
    """Examples of which the cited text holds no word ("expanded areas such as IT security and telehealth" on a
    passage naming no area): an example is a claim about what the passage covers, and MiniLM likens a sentence
    with one to its passage as closely as without."""
    have = _have(cited)
    out = []
    for match in _EXAMPLES.finditer(sentence):
        for item in _ITEMS.split(match.group(1)):
            words = _words(item)
            if words and not have & set(words) and not _OPEN_END.match(item.strip()):
                out.append(f"an example the cited text does not give: {item.strip()}")
    return out


_NAMED = (
    r"\b(?!(?:Per|According|As|For|Like|Unlike|With|By|From)\b)([A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)"
    r"(?:,\s+(?:[A-Z][a-z]?\.){2,})?,\s+"
)
"""A name of two or more capitalised words, not an attribution ("Per Siegel, ..."), its credential, and a comma."""
_UNTIL = r"(?=,|\.|;|\s+who\b|\s+is\b|$)"
#: A name and a short description set off by commas: "Chris Wood, M.D., a practicing internist," ("who" or "is" may
#: end it too). Longer runs after a comma are the sentence going on ("According to Hillary Ross, the first CMIOs
#: carried ..."), not a description.
_DESCRIBED = re.compile(_NAMED + r"((?:a|an|the)\s+[^,.;()]+?)" + _UNTIL)
_DESCRIPTION_WORDS = 5
_VERB = re.compile(r"\b(?:has|have|had|is|are|was|were|will|would|can|could|may|might|should|must)\b")
_DESCRIPTION_HEAD = re.compile(r"\s+(?:and|at|of|in|with|for|from|who)\s+")
#: The same without an article, when it names a post "of", "at" or "for" somewhere: "David Raths, publisher of
#: Healthcare Informatics," for "contributing editor David Raths of Healthcare Informatics".
_POSTED = re.compile(
    _NAMED
    + r"((?!(?:who|which|that|says|said|notes|writes)\b)[a-z][a-z-]*(?:\s+[a-z][a-z-]*){0,2}"
    + r"\s+(?:of|at|for)\s+[A-Z][^,.;()]*?)"
    + _UNTIL
)


def descriptions(sentence: str, cited: str) -> list[str]:
    """Descriptions of a person the cited text names, with words it lacks ("a board-certified internist")."""
    have, lower = _have(cited), cited.lower()
    out = []
    for match in [*_DESCRIBED.finditer(sentence), *_POSTED.finditer(sentence)]:
        described = match.group(2)
        if len(described.split()) > _DESCRIPTION_WORDS:
            # "a practicing hospitalist and CMIO at Loyola ...": its head says who the person is.
            described = _DESCRIPTION_HEAD.split(described)[0]
            if _VERB.search(described):
                continue  # "the CTO role has risen in ...": a clause, not a description
        if match.group(1).split()[-1].lower() not in lower or len(described.split()) > _DESCRIPTION_WORDS:
            continue
        if set(_words(described)) - have:
            out.append(f"a description the cited text does not give: {match.group(1)}, {described}")
    return out


#: A reason, purpose or consequence clause, to the end of the sentence or clause; the report's causal verbs ("is
#: attributed to", "owing to", "results in") as well as the chat's ("because").
_REASON = re.compile(
    r"\b(?:because|since|which is why|so that|in order to|as a result of|due to|thanks to|given that|owing to"
    r"|attribut(?:ed|able) to|results? in|resulted in|resulting in|leads? to|led to|caused by|which means|thereby)"
    r"\s+([^.;]+)",
    re.IGNORECASE,
)
_REASON_WORDS = 3
_REASON_NEW = 0.6
"""A reason is added when at least this share of its content words (three at least) is not in the cited text; a
reason restated in other words keeps some of the passage's ("because the demand for talent is so large")."""


def reasons(sentence: str, cited: str) -> list[str]:
    """Reasons and consequences the cited text does not give ("..., which is why many health systems pair new CTOs
    with a mentor", "is attributed to a shortage of qualified CIOs")."""
    have = _have(cited)
    out = []
    for match in _REASON.finditer(sentence):
        words = _words(match.group(1))
        if len(words) >= _REASON_WORDS and sum(w not in have for w in words) >= _REASON_NEW * len(words):
            out.append(f"a reason the cited text does not give: {match.group(0)}")
    return out
