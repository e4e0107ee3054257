"""Polarity: which words a text asserts and which it denies, and the contradictions that follow.

Why: MiniLM likens a contradiction to its source almost as closely as a paraphrase ("skills are not
transferable" vs "skills are transferable", "strategy over operations" vs "operations over strategy",
"the role has shrunk" vs "the role has grown"), so the groundedness guard reads polarity lexically: a
word the sentence negates that the cited text asserts (or the reverse), an antonym of the cited text's
word, and denying words the cited text lacks. Split from bot.answer.claims (numbers, names, quantifiers)
since polarity is one idea of its own.
"""

from __future__ import annotations

import re

from bot.answer.retrieval import STOPWORDS


def _words(text: str) -> frozenset[str]:
    """A word list written as words (easier to read and extend than a list of quoted strings)."""
    return frozenset(text.split())


#: Words that deny or belittle ("little", "struggled", "kept from", "limited to"): a contradiction in other
#: words than the reversal rules read, which MiniLM likens to its source. Weighed, not a hard rule: a
#: paraphrase may say "few" for "one of the most".
_DENIALS = _words(
    "little hardly barely scarcely lack lacks lacked lacking struggle struggles struggled struggling unable "
    "limited prevent prevents prevented fail fails failed failing hard difficult weak rarely seldom instead "
    "brand delegate delegated delegates avoid avoids leave leaves nobody nothing not no never without cannot "
    "poorly steer steers steered"
)


_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")


def denials(sentence: str, cited: str) -> int:
    """How many denying words ("little", "struggled", "not") the sentence uses that the cited text does not."""
    have = {_negation(w) for w in _TOKEN.findall(cited.lower().replace("’", "'"))}
    words = [_negation(w) for w in _TOKEN.findall(sentence.lower().replace("’", "'"))]
    count = 0
    for i, word in enumerate(words):
        after = words[i + 1 : i + 4]
        if word in _NEGATORS and any(negative_verb(w) for w in after):
            continue  # "shouldn't overlook", "never loses": a denied denial asserts
        if _double(words, i):
            continue
        if word == "too" and word not in have and {"to", "for"} & set(words[i + 2 : i + 5]):
            count += 1  # "too new for a second generation to have emerged" denies that one has
            continue
        if word == "yet" and words[i + 1 : i + 2] == ["to"] and "yet" not in have:
            count += 1  # "have yet to emerge": not yet
            continue
        count += word in _DENIALS and word not in have
    return count


def _negation(word: str) -> str:
    """A contraction ("don't", "isn't") is the same denial as "not"."""
    return "not" if word.endswith("n't") else word


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
NEGATIVE_VERBS = _words(
    "overlook ignore neglect dismiss discount underestimate forget exclude avoid reject hesitate fail miss "
    "doubt lose stop quit"
)
_INFLECTIONS = ("", "s", "es", "d", "ed", "ing", "ted", "ting", "ped", "ping")


def negative_verb(word: str) -> bool:
    """Whether a word is one of NEGATIVE_VERBS or its inflection ("overlooked", "quitting"): not any word that
    merely starts like one ("quite" is no "quit", "missionary" no "miss")."""
    return any(
        word.startswith(base) and word[len(base) :] in _INFLECTIONS
        for verb in NEGATIVE_VERBS
        for base in ((verb, verb[:-1]) if verb.endswith("e") else (verb,))
    )


_PREFER = _words(
    "prioritize prioritise prioritizes prioritises prioritizing prioritising favor favour favors favours prefer "
    "prefers preferring value values valuing choose chooses choosing emphasize emphasise emphasizes emphasises "
    "emphasizing emphasising put puts putting place places placing rank ranks ranking favoring favouring"
)
_AHEAD = _words("over above ahead before")
_SUBJECTS = _words("they we you he she it i")
_GIVE = _words("give gives gave given giving")
_STRONG, _WEAK, _CLEAN = 2, 1, 0
_SCOPE = 2
"""Content words a negation reaches strongly; the rest of its clause is reached weakly."""
_COMPARED = 8
"""How far back from "than" a "more" may stand in its clause: "get more out of systems than they can" and
"extract more from systems than they can" compare the same way (a fixed four words saw one and not the other)."""


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
            if toks[j : j + 2] in (["over", "time"], ["as", "time"]):
                break  # "strategy ahead of operations over time": a time phrase, not the lesser side
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
            if nxt not in _NOT_DENYING and not negative_verb(first):
                reach(i + 1, 1)
        elif (tok, nxt) in (("rather", "than"), ("instead", "of")):
            reach(i + 2, 1)
        elif tok == "than" and "more" in _clause_before(toks, i) and toks[i - 1] != "more":  # not "more than 5"
            if nxt in _SUBJECTS:
                continue  # "more from systems than they get": a measure of the same doing, not a denial of "get"
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


def _clause_before(toks: list[str], i: int) -> list[str]:
    """Up to _COMPARED tokens before position i, back to the clause's start."""
    out: list[str] = []
    for tok in reversed(toks[max(0, i - _COMPARED) : i]):
        if tok in _POLAR_BREAK:
            break
        out.append(tok)
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
# "strategic:operational" is the management sense (the level at which a role works), as common as "strategic:tactical".
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
    "surplus:shortage upward:downward expand:narrow widen:narrow strong:poor good:poor creative:conventional "
    "innovative:conventional strategic:operational strategic:tactical critical:peripheral integral:peripheral "
    "central:peripheral critical:marginal integral:marginal huge:modest large:modest less:higher grow:lose "
    "similar:different similar:unlike similar:dissimilar good:bad change:unchanged expand:unchanged grow:unchanged "
    "evolve:unchanged transform:unchanged tactful:blunt tactfulness:bluntness"
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


# Comparatives: "less strategic" against "more strategic", "less critical" against "one of the most critical",
# "more compensation" against "less compensation". The antonym list cannot see these: "less" and "more" are
# both in many a sentence, and MiniLM likens the two sides almost as closely as a paraphrase.
_UP = _words("more greater higher larger bigger most best greatest highest largest")
_DOWN = _words("less fewer lower smaller least lesser lowest smallest")
_GRADED = 2
"""How many words before the graded word a comparative may stand ("more strategic", "most critical executive")."""


def _graded(text: str) -> list[tuple[str, str, str]]:
    """(direction, graded word's key, the phrase) for each comparative or superlative and the first content
    word after it."""
    toks = _TOKEN.findall(text.lower().replace("’", "'"))
    out = []
    for i, tok in enumerate(toks):
        side = "up" if tok in _UP else "down" if tok in _DOWN else ""
        graded = next((w for w in toks[i + 1 : i + 1 + _GRADED] if _content(w)), "")
        if side and graded and toks[i + 1 : i + 2] != ["than"]:
            out.append((side, graded[:6], f"{tok} {graded}"))
    return out


def turned_comparatives(sentence: str, cited: str) -> list[str]:
    """Graded words the sentence moves the other way from the cited text ("less critical" where it has "most
    critical"), when the cited text never grades that word the sentence's way."""
    theirs = {(side, key) for side, key, _ in _graded(cited)}
    return sorted(
        {
            f"{phrase} (turned)"
            for side, key, phrase in _graded(sentence)
            if ("down" if side == "up" else "up", key) in theirs and (side, key) not in theirs
        }
    )
