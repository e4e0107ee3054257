"""Numbers in a claim: digits, number words and ordinals in one spelling ("five" meets "5", "gen-1" meets
"first-generation"), what each number counts, and counts a sentence reads off the list it gives.

Why: an invented or changed number is the plainest unsupported claim an LLM makes ("25 years of experience"), and
MiniLM likens "six categories and 96 skills" to "96 categories and six skills" as closely as to itself. Split from
bot.answer.claims, which reads a sentence's other claims (names, reaches, roles).
"""

from __future__ import annotations

import re

from bot.answer.retrieval import STOPWORDS, stem

_NUMBER_WORDS = {
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "fifteen": "15",
    "twenty": "20",
    "thirty": "30",
    "hundred": "100",
    "forty": "40",
    "fifty": "50",
    "dozen": "12",
    "half": "1/2",
    "quarter": "1/4",
    "thousand": "1000",
    "million": "1000000",
    "billion": "1000000000",
    "percent": "%",
    "twice": "2x",
    "double": "2x",
    "doubled": "2x",
    "halved": "1/2",
    "tripled": "3x",
    "triple": "3x",
    "decades": "10y+",
    "decade": "10",
}
#: A generation written with its digit ("gen-1 CMIOs", "2nd-gen", "generation 2"): the ordinal, not a count.
_GENERATION = re.compile(r"\bgen(?:eration)?[-\s]?([1-3])\b|\b([1-3])(?:st|nd|rd)[-\s]gen(?:eration)?\b", re.IGNORECASE)
_GENERATION_ORDINALS = {"1": "first", "2": "second", "3": "third"}
#: An ordinal that qualifies a noun ("second-generation", "first generation") is a number too; a bare
#: "First," that orders an answer's points is not.
_ORDINAL = re.compile(r"\b(first|second|third|fourth|fifth|next|last)(?:-|\s+(?=generation))", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def numbers_in(text: str) -> set[str]:
    """Digits, number words and noun-qualifying ordinals, in one spelling so that 'five' meets '5'."""
    text = _GENERATION.sub(lambda m: _GENERATION_ORDINALS[m.group(1) or m.group(2)] + "-generation", text)
    found = {n.replace(",", "") for n in _NUMBER.findall(text)} | ({"%"} if "%" in text else set())
    found |= {_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}
    found |= {m.lower() + "-" for m in _ORDINAL.findall(text)}
    return found


def _counts(text: str) -> set[tuple[str, str]]:
    """(number, the word it counts) pairs: "six categories and 96 skills" -> {("6", "categori"), ("96", "skill")}."""
    toks = re.findall(r"\d+(?:[.,]\d+)?|[a-z]+", text.lower())
    out = set()
    for i, tok in enumerate(toks):
        number = tok.replace(",", "") if tok[0].isdigit() else _NUMBER_WORDS.get(tok, "")
        counted = next((t for t in toks[i + 1 : i + 3] if t.isalpha() and t not in STOPWORDS), "")
        if number and counted:
            out.add((number, stem(counted)))
    return out


#: A number and the list it counts, after a colon, comma or dash: "four areas: operations, network, infrastructure
#: and PC support", "two respects, demand and status".
_COUNTED_LIST = re.compile(
    r"\b(" + "|".join(w for w, n in _NUMBER_WORDS.items() if n.isdigit()) + r"|\d+)"
    r"((?:\s+[\w’'-]+){0,4}?)\s*(?::|,|—|–|\s-)\s*([^.;:]+)",
    re.IGNORECASE,
)
_LIST_END = re.compile(r"\s+(?:and|or)\s+")


def _list_items(text: str) -> list[str]:
    """The items of the list `text` opens with, up to the item after its first "and" or "or"."""
    items: list[str] = []
    for piece in text.split(","):
        parts = _LIST_END.split(piece, maxsplit=1)
        items.extend(part for part in parts if part.strip())
        if len(parts) > 1:
            break  # "... and PC support": the list ends with the item after its join
    return items


def _listed_counts(sentence: str, cited: str) -> set[str]:
    """Numbers that count the items the sentence lists right after them, when the cited text lists as many from the
    same first item: a count of what the passage lists is read off it ("three things: costs, safety and care" on
    "costs, safety, and care"), where "three areas" of the passage's four is not."""
    lower = cited.lower()
    out = set()
    for match in _COUNTED_LIST.finditer(sentence):
        number = _NUMBER_WORDS.get(match.group(1).lower(), match.group(1))
        items = _list_items(match.group(3))
        first = re.findall(r"[a-z0-9]+", items[0].lower()) if items else []
        start = lower.find(first[0]) if first else -1
        if start < 0 or len(items) != int(number):
            continue
        theirs = _list_items(re.split(r"[.;:]", cited[start:], maxsplit=1)[0])
        if len(theirs) == len(items):
            out.add(number)
    return out


def miscounts(sentence: str, cited: str) -> list[str]:
    """Numbers the sentence attaches to what the cited text counts with another of its numbers: "96 categories
    and six skills" against "six categories and 96 skills" has every number and word, in swapped places."""
    theirs = _counts(cited)
    out = []
    for number, counted in sorted(_counts(sentence) - theirs):
        if any(n == number for n, _ in theirs) and any(c == counted for _, c in theirs):
            out.append(f"{number} {counted}?")
    return out


def invented_numbers(sentence: str, cited: str) -> list[str]:
    """The sentence's numbers that the cited text lacks, less a count of the items the sentence lists from it."""
    return sorted(numbers_in(sentence) - numbers_in(cited) - _listed_counts(sentence, cited))


_EACH = re.compile(r"\b(?:each|apiece)\b", re.IGNORECASE)
_EACH_REACH = 5
"""How many words either side of "each" a number may stand to be distributed by it."""


def distributed(sentence: str, cited: str) -> list[str]:
    """A number of the cited text that the sentence gives to each of a group ("six categories of 96 skills each",
    "six categories, each of which contains 96 skills") where the cited text gives a total ("six categories and 96
    skills"): every number is the passage's, so only "each" tells."""
    if _EACH.search(cited):
        return []
    words = re.findall(r"[A-Za-z0-9-]+", sentence)
    theirs = numbers_in(cited)
    out = []
    for i, word in enumerate(words):
        if word.lower() in ("each", "apiece"):
            near = " ".join(words[max(0, i - _EACH_REACH) : i + _EACH_REACH + 1])
            if numbers_in(near) & theirs:
                out.append(f"each: {near}")
    return out
