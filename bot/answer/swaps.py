"""Swapped roles: a sentence that keeps its passage's words but exchanges who does what to whom.

Why: "Some CMIOs don't know what to do with their health systems" against "Some health systems don't know
what to do with their CMIOs" shares every word and every likeness measure with its source, and so does
"skills from healthcare transfer to other industries" against "skills from other industries transfer to
healthcare". What changed is order: two short phrases traded places around the same words. A paraphrase
moves whole clauses, or changes its wording while it reorders, so the rule asks for nearly all of the
sentence's words in one cited sentence, and for two phrases of at most two content words each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import pairwise

from bot.answer.retrieval import STOPWORDS, stem, terms
from ingest.chunking import split_sentences
from ingest.rolenames import ACRONYM

_SHARED = 0.8
"""Share of the sentence's content words that one cited sentence must hold for a reordering to mean a swap."""
_MIN_SHARED = 4
_PHRASE = 2
"""At most this many content words in each of the two exchanged phrases."""
_JOINS = frozenset({"and", "or", ",", ";", "&"})
"""Words that join two phrases into one list: phrases joined so in the cited sentence ("CTO training and
skills") may trade places in a paraphrase ("skills and training that CTOs build"); roles may not."""
_CLAUSE_WORDS = STOPWORDS - _JOINS - {"a", "an", "the"}
"""Function words ("can", "from", "with") between two phrases: what joins them is a clause, not a list ("A good
CTO candidate can come from a vendor or consulting firm" lists vendor and firm, not CTO and firm)."""
_TOKEN = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*|[,;&]")
_MAX_SHARED = 40
"""Longer runs of shared words are not searched: the search grows with the cube of their number."""


def _key(term: str) -> str:
    """The light stem, and a plural acronym's "s" off too ("CTOs" meets "CTO"; stem keeps short words whole)."""
    word = stem(term)
    return word[:-1] if len(word) >= 4 and word.endswith("s") else word


def _increasing(xs: Sequence[int]) -> bool:
    return all(a < b for a, b in pairwise(xs))


def _exchange(order: Sequence[int], joined: Callable[[int, int], bool]) -> tuple[int, int] | None:
    """Positions (a, c) of two short blocks order[a:b], order[c:d] with words between them whose
    exchange makes `order` increasing, and that `joined` (cited positions) does not call one list;
    None when no such pair exists."""
    n = len(order)
    for a in range(n):
        for b in range(a + 1, min(n, a + _PHRASE + 1)):
            for c in range(b + 1, n):
                for d in range(c + 1, min(n, c + _PHRASE) + 1):
                    first, second = sorted((order[a:b], order[c:d]), key=min)
                    if joined(max(first), min(second)):
                        continue
                    if _increasing([*order[:a], *order[c:d], *order[b:c], *order[a:b], *order[d:]]):
                        return a, c
    return None


def exchanges(sentence: str, cited: str) -> list[str]:
    """'swapped A and B' for two phrases of `sentence` that stand in each other's place in a cited sentence."""
    own = list(dict.fromkeys(_key(t) for t in terms(sentence)))
    for source in split_sentences(cited) or [cited]:
        tokens = _TOKEN.findall(source.lower())
        first: dict[str, int] = {}
        for i, token in enumerate(tokens):
            for term in terms(token):
                first.setdefault(_key(term), i)

        def joined(start: int, end: int, tokens: list[str] = tokens) -> bool:
            between = tokens[start + 1 : end]
            return any(t in _JOINS for t in between) and not any(t in _CLAUSE_WORDS for t in between)

        shared = [w for w in own if w in first]
        if not max(_MIN_SHARED, _SHARED * len(own)) <= len(shared) <= _MAX_SHARED:
            continue
        order = [first[w] for w in shared]
        if _increasing(order):
            continue
        found = _exchange(order, joined)
        if found:
            return [f"swapped {shared[found[0]]} and {shared[found[1]]}"]
    return []


# A movement's two ends: "from other industries" and "into healthcare CTO roles" (a phrase of up to five words
# that stops at a verb or a join). "from outside X" names no end: it says where the mover is not.
_END_WORD = r"(?:(?!(?:to|into|are|is|can|has|have|had|will|were|was|and|but|which|where|who)\b)[\w’'-]+)"
_PHRASE_WORDS = rf"((?:{_END_WORD}\s+){{0,4}}{_END_WORD})"
_FROM = re.compile(r"\b(?:from|out of)\s+(?!outside)" + _PHRASE_WORDS, re.IGNORECASE)
_TO = re.compile(
    r"(?:\binto|\b(?:transfer\w*|mov\w+|bridg\w+|shift\w*|migrat\w+|transition\w*|carr\w+ over|go|goes|went|"
    r"come|comes|came)\s+(?:\w+\s+)?to)\s+" + _PHRASE_WORDS,
    re.IGNORECASE,
)


def _ends(pattern: re.Pattern[str], text: str) -> set[str]:
    return {_key(t) for m in pattern.finditer(text) for t in terms(m.group(1))}


def reversed_direction(sentence: str, cited: str) -> list[str]:
    """'moved X the other way' when the sentence sends something to where the cited text has it come from, or
    from where it goes: "skills from healthcare transfer to other industries" against "skills from other
    industries transfer to healthcare". The words are the passage's and so is every likeness measure; only
    the direction turned. Needs both ends in the cited text, so a passage with no movement is never read so."""
    came, went = _ends(_FROM, cited), _ends(_TO, cited)
    if not came or not went:
        return []
    turned = (_ends(_TO, sentence) & came) - went | (_ends(_FROM, sentence) & went) - came
    return [f"moved {w} the other way" for w in sorted(turned)]


_PASSIVE = re.compile(
    r"\b(?:is|are|was|were|be|been|being)\s+(?:\w+ly\s+)?"
    r"(?P<verbs>\w+(?:ed|en|ght|wn)(?:(?:\s*,\s*|\s+and\s+|\s+or\s+)\w+(?:ed|en|ght|wn))*)"
    r"\s+by\s+(?:the\s+|their\s+|its\s+|a\s+|an\s+)?(?P<agent>[A-Za-z-]+)",
    re.IGNORECASE,
)
"""'were trained and educated by physicians': the passive's verbs and its agent's first word."""


def exchanged_agent(sentence: str, cited: str) -> list[str]:
    """'made X the doer' when the sentence's passive has X do what the cited text has done to X: "CMIOs were
    trained by physicians" against "CMIOs were responsible for engaging physicians ... training". The
    words are the passage's and the order too, so neither likeness nor the phrase swap sees it. X must follow a
    verb of the sentence's or an '-ing' verb in the cited text (its object there), and never follow "by"."""
    low = cited.lower()
    words = re.findall(r"[a-z][a-z'’-]*", low)
    out = []
    for match in _PASSIVE.finditer(sentence):
        agent = match.group("agent").lower()
        verbs = {stem(v) for v in re.findall(r"\w+", match.group("verbs").lower())} - {"and", "or"}
        if re.search(rf"\bby (?:the |their |its |a |an )?{re.escape(agent)}\b", low):
            continue
        for i in (i for i, w in enumerate(words) if w == agent and i > 0):
            if any((w.endswith("ing") and len(w) > 5) or stem(w) in verbs for w in words[max(0, i - 2) : i]):
                out.append(f"made {agent} the doer")
                break
    return out


# A change of form and its two ends: "translate complex technical concepts into laymen's terms", "synthesize new
# technical information into existing structures" (up to six words each side).
_INTO = re.compile(
    r"\b(translat|synthes|turn|conver|transform|integrat|incorporat|fit)\w*\s+((?:[\w’'-]+\s+){1,6}?)into\s+"
    r"((?:[\w’'-]+\s*){1,6})",
    re.IGNORECASE,
)


def _changes(text: str) -> list[tuple[str, set[str], set[str]]]:
    return [
        (m.group(1).lower(), {_key(t)[:6] for t in terms(m.group(2))}, {_key(t)[:6] for t in terms(m.group(3))})
        for m in _INTO.finditer(text)
    ]


def turned_around(sentence: str, cited: str) -> list[str]:
    """'<verb>… into, the other way round' when the sentence changes into what the cited text changes from, and from
    what it changes into: "translate laymen's terms into technical concepts" against "translate complex technical
    concepts into laymen's terms". Every word is the passage's; only the direction turned."""
    out = []
    for verb, source, target in _changes(sentence):
        for their_verb, their_source, their_target in _changes(cited):
            if verb == their_verb and source & their_target and target & their_source and not source & their_source:
                out.append(f"{verb}… into, the other way round")
    return sorted(set(out))


#: A role acronym and the word after it ("CIOs need", "CTO role", "CTO (CTO) role"): who is said to do or be what.
_ROLE_AND_NEXT = re.compile(rf"\b({ACRONYM})s?\b\)?(?:\s*\([A-Z]+\))?\s+([a-z]+)")


def _role_pairs(text: str) -> set[tuple[str, str]]:
    return {(m.group(1), m.group(2)[:5]) for m in _ROLE_AND_NEXT.finditer(text) if m.group(2) not in STOPWORDS}


def exchanged_roles(sentence: str, cited: str) -> list[str]:
    """Roles that trade what the cited text says of each: "CTOs need a strong team, and the CIO role has grown"
    against "CIOs need a strong team, and the ... (CTO) role has grown". Both acronyms are in the cited text, so
    the check of roles it does not name passes; the word after each says who does what."""
    theirs = _role_pairs(cited)
    out = []
    for role, word in sorted(_role_pairs(sentence) - theirs):
        others = sorted(r for r, w in theirs if w == word and r != role)
        if others:
            out.append(f"{role} for {others[0]} ({word}…)")
    return out
