"""What a sentence claims, read lexically: its numbers, names, quantifiers, polarity, clauses and new words.

The groundedness guard (bot.answer.grounding) holds a sentence of an LLM answer to these before it
weighs likeness: a number, a name or a quantifier that the cited text lacks is an invention whatever
the sentence's likeness to it. So is a contradiction, which MiniLM likens to its source almost as
closely as a paraphrase ("skills are not transferable" vs "skills are transferable", "strategy over
operations" vs "operations over strategy", "the role has shrunk" vs "the role has grown"): a word the
sentence negates that the cited text asserts (or the reverse), and an antonym of the cited text's word,
are misses too. Word lists, not a model: each entry is a reason a reader can check.
"""

from __future__ import annotations

import re

from bot.answer.retrieval import STOPWORDS, stem, terms
from bot.answer.swaps import exchanges


def _words(text: str) -> frozenset[str]:
    """A word list written as words (easier to read and extend than a list of quoted strings)."""
    return frozenset(text.split())


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
    "triple": "3x",
    "decades": "10y+",
    "decade": "10",
}
#: An ordinal that qualifies a noun ("second-generation", "first generation") is a number too; a bare
#: "First," that orders an answer's points is not.
_ORDINAL = re.compile(r"\b(first|second|third|fourth|fifth|next|last)(?:-|\s+(?=generation))", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_WORDS = re.compile(r"[A-Za-z][A-Za-z'’-]*")
#: Capitalised words that name nothing in particular; a sentence may use them without its passage doing so.
_COMMON_CAPITALS = _words(
    "i a an the it its this that these those they their there he she his her we our you your who what "
    "when where which why how in on at for to of from by with as and or but if so not no also both each "
    "every many most some such then thus while first second third finally overall however instead "
    "according look consider ask hire hiring health healthcare system systems cio cios board ideal good "
    "strong source sources passage passages article articles author recruiter recruiters candidate "
    "candidates yes note key here today"
)
#: Words that set how far a claim reaches ("most", "usually", "only", "required"): a sentence may not
#: widen its passage's reach, so each must appear in the cited text too.
_QUANTIFIERS = _words(
    "always never only required requires require mandatory essential all every none no sole solely single "
    "exclusively guarantee guarantees guaranteed invariably necessarily entirely fully completely most "
    "majority usually typically generally often rarely seldom best worst primary main"
)
#: Quantifiers of one reach: a paraphrase may say "every" for "all", "generally" for "tend to".
_SAME_REACH = [
    _words("all every each"),
    _words("usually typically generally tend tends commonly"),
    _words("required requires require mandatory necessary essential"),
    _words("only sole solely exclusively"),
    _words("rarely seldom"),
    _words("main primary chief principal"),
    _words("most majority"),
]
#: Words that frame a sentence without asserting anything about the roles, among them the advice frame an
#: answer to a hiring manager (a CIO) puts around a claim: "CIOs should consider candidates who ...".
_FRAMING = _words(
    "article articles passage passages source sources author authors recruiter recruiters say says said "
    "according note notes mention mentions mentioned cover covers covered address addresses addressed "
    "describe describes described discuss discusses discussed point points answer answers question "
    "questions following below above here summary summarise summarize detail details information specific "
    "specifically hire hiring here look looking consider considering seek seeking candidate candidates someone "
    "cio cios"
)
_SILENCE = re.compile(
    r"\b(?:do(?:es)?\s*n[o’']t|do(?:es)? not|don[’']t|doesn[’']t|no passage|none of the|nothing)\b.{0,40}?"
    r"\b(?:say|says|cover|covers|address|addresses|mention|mentions|discuss|discusses|specify|specifies|state|states)\b",
    re.IGNORECASE,
)


def _normal_numbers(text: str) -> set[str]:
    """Digits, number words and noun-qualifying ordinals, in one spelling so that 'five' meets '5'."""
    found = {n.replace(",", "") for n in _NUMBER.findall(text)} | ({"%"} if "%" in text else set())
    found |= {_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}
    found |= {m.lower() + "-" for m in _ORDINAL.findall(text)}
    return found


def _names(sentence: str) -> set[str]:
    """Capitalised words and acronyms that are not the sentence's first word or common capitals."""
    words = _WORDS.findall(sentence)
    out: set[str] = set()
    for i, word in enumerate(words):
        bare = word.strip("'’-")
        if not bare or not bare[0].isupper():
            continue
        if i == 0 and not bare.isupper():
            continue
        if bare.lower().rstrip("s") in _COMMON_CAPITALS or bare.lower() in _COMMON_CAPITALS:
            continue
        out.add(bare)
    return out


#: Dotted abbreviations ("M.D.", "J.D.", "Ph.D."): a credential is a claim about a person, and the name
#: check cannot see one, since it reads "M.D." as two one-letter words.
_DOTTED = re.compile(r"(?<![A-Za-z])(?:[A-Z][a-z]?\.){2,}")
#: "One of the most critical ..." narrowed to "the most critical ...": a member of a group made its top.
_ONE_OF = re.compile(r"\bone of the (most|best|top|largest|biggest|greatest|leading|key|main|few)\b", re.IGNORECASE)


def _credentials(sentence: str, cited: str) -> list[str]:
    have = set(re.findall(r"[a-z]+", cited.lower().replace(".", "")))  # "PhD" meets "Ph.D."
    return sorted({d for d in _DOTTED.findall(sentence) if d.replace(".", "").lower() not in have})


def superlatives(sentence: str, cited: str) -> list[str]:
    """'the most X' where the cited text says only 'one of the most X'."""
    lower = sentence.lower()
    out = []
    for word in {m.group(1).lower() for m in _ONE_OF.finditer(cited)}:
        if re.search(rf"\bthe {word}\b", lower) and not re.search(rf"\bone of the {word}\b", lower):
            out.append(f"the {word}")
    return sorted(out)


def lexical_misses(sentence: str, cited: str) -> tuple[str, ...]:
    """The numbers, names and quantifiers of `sentence` that `cited` (its passages and sources) lacks, the
    words whose polarity it reverses (see `reversals`, `antonyms`) and the phrases it swaps (`exchanges`)."""
    lower = cited.lower()
    missing = sorted(_normal_numbers(sentence) - _normal_numbers(cited))
    for name in sorted(_names(sentence)):
        key = name.lower().removesuffix("’s").removesuffix("'s")
        if key not in lower and key.rstrip("s") not in lower:
            missing.append(name)
    cited_words = set(re.findall(r"[a-z]+", lower))
    missing.extend(sorted(w for w in quantifiers(sentence) if not _reach(w) & cited_words))
    missing.extend(_credentials(sentence, cited))
    missing.extend(superlatives(sentence, cited))
    missing.extend(reversals(sentence, cited))
    missing.extend(antonyms(sentence, cited))
    missing.extend(exchanges(sentence, cited))
    return tuple(missing)


#: Words after which "all" floats: it gathers what was just named ("they may all be wanted") and widens nothing.
_FLOAT_AFTER = _words("they we you these those them us may might can could will would should must are were be have")


def quantifiers(sentence: str) -> set[str]:
    """The sentence's quantifiers, less a floating "all" ("these may all help" says no more than "these help")."""
    words = re.findall(r"[a-z]+", sentence.lower())
    return {
        w for i, w in enumerate(words) if w in _QUANTIFIERS and not (w == "all" and i and words[i - 1] in _FLOAT_AFTER)
    }


def content_words(text: str) -> list[str]:
    """The words of `text` that carry a claim: its terms less the framing ("the article says")."""
    return [t for t in terms(text) if t not in _FRAMING]


def _reach(quantifier: str) -> frozenset[str]:
    """The quantifier and those of the same reach."""
    return frozenset({quantifier}).union(*(group for group in _SAME_REACH if quantifier in group))


def novel_share(sentence: str, cited: str, question: str = "") -> float:
    """Share of the sentence's content words found neither in the cited text nor in the question."""
    words = content_words(sentence)
    if not words:
        return 0.0
    known = {stem(t) for t in terms(cited)} | {stem(t) for t in terms(question)}
    return sum(1 for w in words if stem(w) not in known) / len(words)


#: Words that deny or belittle ("little", "struggled", "kept from", "limited to"): a contradiction in other
#: words than the reversal rules read, which MiniLM likens to its source. Weighed, not a hard rule: a
#: paraphrase may say "few" for "one of the most".
_DENIALS = _words(
    "little hardly barely scarcely lack lacks lacked lacking struggle struggles struggled struggling unable "
    "limited prevent prevents prevented fail fails failed failing hard difficult weak rarely seldom instead "
    "brand delegate delegated delegates avoid avoids leave leaves nobody nothing not no never without cannot"
)


_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")


def denials(sentence: str, cited: str) -> int:
    """How many denying words ("little", "struggled", "not") the sentence uses that the cited text does not."""
    have = {_negation(w) for w in _TOKEN.findall(cited.lower().replace("’", "'"))}
    words = [_negation(w) for w in _TOKEN.findall(sentence.lower().replace("’", "'"))]
    count = 0
    for i, word in enumerate(words):
        after = words[i + 1 : i + 4]
        if word in _NEGATORS and any(w.startswith(v) for w in after for v in _NEGATIVE_VERBS):
            continue  # "shouldn't overlook", "never loses": a denied denial asserts
        if _double(words, i):
            continue
        count += word in _DENIALS and word not in have
    return count


def _negation(word: str) -> str:
    """A contraction ("don't", "isn't") is the same denial as "not"."""
    return "not" if word.endswith("n't") else word


def asserts_nothing(sentence: str, question: str = "") -> bool:
    """A lead or a statement of silence: no content beyond the question's own words and framing."""
    if _SILENCE.search(sentence):
        return True
    asked = {stem(t) for t in terms(question)}
    words = [t for t in terms(sentence) if t not in _FRAMING and stem(t) not in asked]
    asked_names = {n.lower() for n in _names(question)} | set(question.lower().split())
    names = {n for n in _names(sentence) if n.lower() not in asked_names}
    return not words and not _normal_numbers(sentence) and not names


_CLAUSE_BREAK = re.compile(r";\s+|,?\s+(?:and|but|while|whereas|so|because|which)\s+|,\s+")


def clauses(sentence: str) -> list[str]:
    """The sentence's clauses, each with at least three content words (shorter pieces join the one before)."""
    out: list[str] = []
    for piece in _CLAUSE_BREAK.split(sentence):
        if out and len(terms(piece)) < 3:
            out[-1] = f"{out[-1]} {piece}"
        elif len(terms(piece)) >= 3 or not out:
            out.append(piece)
    if len(out) > 1 and len(terms(out[0])) < 3:
        out[1] = f"{out[0]} {out[1]}"
        out.pop(0)
    return out or [sentence]


# Polarity. Each content word of a text is clean (asserted), strongly negated (one of the first two content
# words after "not", "rather than", "instead of", the lesser side of "prefer A over B" or "more A than B",
# the old side of "A has given way to B") or weakly negated (the rest of such a clause, or under "less",
# or between "from" and "to"). Only a strong negation on one side against a clean word on the other is a
# reversal: a negation's reach differs between a sentence and its paraphrase, so the weak band absorbs that.
_POLAR_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.;:!?,()]")
_POLAR_BREAK = frozenset(".;:!?,()") | _words("but while whereas although though yet because which who that")
_NEGATORS = _words("not never no without nor cannot neither")
#: "not only", "not just": the word after adds rather than denies.
_NOT_DENYING = _words("only just merely simply least necessarily")
#: "shouldn't overlook X" asserts X: a negated word that itself means "not" (matched by prefix).
_NEGATIVE_VERBS = _words(
    "overlook ignore neglect dismiss discount underestimate forget exclude avoid reject hesitate fail miss "
    "doubt lose stop"
)
_PREFER = _words(
    "prioritize prioritise prioritizes prioritises prioritizing prioritising favor favour favors favours prefer "
    "prefers value values choose chooses emphasize emphasise emphasizes emphasises put puts rank ranks"
)
_AHEAD = _words("over above ahead before")
_GIVE = _words("give gives gave given giving")
_STRONG, _WEAK, _CLEAN = 2, 1, 0
_SCOPE = 2
"""Content words a negation reaches strongly; the rest of its clause is reached weakly."""


def _content(word: str) -> bool:
    return word.isalpha() and len(word) > 2 and word not in STOPWORDS and word not in _NEGATORS


def _polarity(text: str) -> dict[str, tuple[str, set[int]]]:
    """Each content word's key (its first six letters, so 'transfer' meets 'transferable') -> a spelling
    and the marks it carries across the text."""
    toks = _POLAR_TOKEN.findall(text.lower().replace("’", "'"))
    marks = [_CLEAN] * len(toks)

    def reach(start: int, step: int, strong: bool = True) -> None:
        seen, j = 0, start
        while 0 <= j < len(toks) and toks[j] not in _POLAR_BREAK:
            if _content(toks[j]):
                marks[j] = max(marks[j], _STRONG if strong and seen < _SCOPE else _WEAK)
                seen += 1
            j += step

    for i, tok in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        before = toks[max(0, i - 4) : i]
        if tok in _NEGATORS or tok.endswith("n't"):
            first = next((w for w in toks[i + 1 : i + 4] if _content(w)), "")
            if _double(toks, i):
                continue
            if nxt not in _NOT_DENYING and not any(first.startswith(v) for v in _NEGATIVE_VERBS):
                reach(i + 1, 1)
        elif (tok, nxt) in (("rather", "than"), ("instead", "of")):
            reach(i + 2, 1)
        elif tok == "than" and "more" in before and toks[i - 1] != "more":  # "more A than B", not "more than 5"
            reach(i + 1, 1)
        elif tok in _AHEAD and _PREFER & set(before) and nxt not in ("a", "an", "the", "time"):
            reach(i + (2 if nxt == "of" else 1), 1)
        elif (tok == "way" and i > 0 and toks[i - 1] in _GIVE and nxt == "to") or (tok, nxt) == ("replaced", "by"):
            reach(i - (2 if tok == "way" else 1), -1)
        elif tok in ("less", "fewer"):
            reach(i + 1, 1, strong=False)
        elif tok == "from":
            ends = [j for j in range(i + 1, min(len(toks), i + 5)) if toks[j] in ("to", "toward", "towards", "into")]
            for j in range(i + 1, ends[0] if ends else i + 1):
                marks[j] = max(marks[j], _WEAK)
    out: dict[str, tuple[str, set[int]]] = {}
    for tok, mark in zip(toks, marks, strict=True):
        if _content(tok):
            out.setdefault(tok[:6], (tok, set()))[1].add(mark)
    return out


def _double(toks: list[str], i: int) -> bool:
    """A negation that "without" cancels within three words ("cannot do without", "not without"): it asserts."""
    if toks[i] == "without":
        return any(t in _NEGATORS or t.endswith("n't") for t in toks[max(0, i - 3) : i])
    return (toks[i] in _NEGATORS or toks[i].endswith("n't")) and "without" in toks[i + 1 : i + 4]


def reversals(sentence: str, cited: str) -> list[str]:
    """Words the sentence denies that the cited text asserts, or asserts where the cited text denies them."""
    own, theirs = _polarity(sentence), _polarity(cited)
    out = []
    for key, (word, marks) in own.items():
        other = theirs.get(key, ("", set()))[1]
        if (marks, other) in (({_STRONG}, {_CLEAN}), ({_CLEAN}, {_STRONG})):
            out.append(f"reversed {word}")
    return sorted(out)


# Antonyms: common English opposites, none taken from any one article. A sentence word whose opposite the
# cited text holds, while it lacks the word itself, reverses the claim ("the role has shrunk" vs "grown").
_OPPOSITES = _words(
    "grow:shrink grow:decline increase:decrease increase:reduce rise:fall expand:shrink expand:contract "
    "before:after strong:weak high:low large:small big:small easy:hard easy:difficult gain:lose succeed:fail "
    "success:failure accept:reject include:exclude allow:prevent allow:block early:late major:minor "
    "simple:complex rare:common broad:narrow internal:external inside:outside short:long above:below "
    "better:worse start:finish begin:end same:different public:private permanent:temporary formal:informal "
    "senior:junior strength:weakness advantage:disadvantage possible:impossible likely:unlikely "
    "necessary:unnecessary important:unimportant relevant:irrelevant clear:unclear help:hurt help:hinder "
    "win:lose buy:sell add:remove open:closed growth:decline more:fewer most:least many:few always:never "
    "often:rarely agree:disagree support:oppose praise:criticize cheap:expensive fast:slow quick:slow "
    "young:old rich:poor wide:narrow deep:shallow active:passive positive:negative optimistic:pessimistic "
    "true:false right:wrong correct:incorrect legal:illegal huge:tiny huge:small abundant:scarce "
    "surplus:shortage upward:downward"
)
_ANTONYM: dict[str, set[str]] = {}
for _pair in _OPPOSITES:
    _a, _b = _pair.split(":")
    _ANTONYM.setdefault(_a, set()).add(_b)
    _ANTONYM.setdefault(_b, set()).add(_a)
_IRREGULAR = {
    pair.split(":")[0]: pair.split(":")[1]
    for pair in _words(
        "grown:grow grew:grow shrunk:shrink shrank:shrink rose:rise risen:rise fell:fall fallen:fall lost:lose "
        "began:begin begun:begin won:win sold:sell bought:buy larger:large largest:large smaller:small "
        "higher:high lower:low easier:easy harder:hard stronger:strong weaker:weak bigger:big"
    )
}


def _lemmas(text: str) -> set[str]:
    """Each word, its irregular base form and its light stem (with an 'e' back where that names a word); a
    hyphenated compound is one word ("high-level" planning is not the opposite of "lower" costs)."""
    out: set[str] = set()
    for word in re.findall(r"[a-z]+(?:-[a-z]+)*", text.lower()):
        stem = next(
            (word[: -len(s)] for s in ("ing", "ed", "er", "es", "s") if len(word) > len(s) + 3 and word.endswith(s)),
            word,
        )
        out |= {word, _IRREGULAR.get(word, word), stem} | ({stem + "e"} if stem + "e" in _ANTONYM else set())
    return out


def antonyms(sentence: str, cited: str) -> list[str]:
    """Sentence words that the cited text lacks while it holds their opposite."""
    own, theirs = _lemmas(sentence), _lemmas(cited)
    return sorted(f"{w} against {a}" for w in own & _ANTONYM.keys() - theirs for a in _ANTONYM[w] & theirs)
