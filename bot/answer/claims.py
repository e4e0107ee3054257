"""What a sentence claims, read lexically: its numbers, names, quantifiers, polarity, clauses and new words.

The groundedness guard (bot.answer.grounding) holds a sentence of an LLM answer to these before it
weighs likeness: a number, a name or a quantifier that the cited text lacks is an invention whatever
the sentence's likeness to it. So is a contradiction, which MiniLM likens to its source almost as
closely as a paraphrase ("skills are not transferable" vs "skills are transferable", "strategy over
operations" vs "operations over strategy", "the role has shrunk" vs "the role has grown"): a word the
sentence negates that the cited text asserts (or the reverse), and an antonym of the cited text's word,
are misses too (read in bot.answer.polarity). Word lists, not a model: each entry is a reason a reader can check.
"""

from __future__ import annotations

import re

from bot.answer.additions import descriptions, invented_examples, reasons
from bot.answer.causes import reversed_causes
from bot.answer.numbers import distributed, invented_numbers, miscounts, numbers_in
from bot.answer.polarity import antonyms, negative_verb, reversals, turned_comparatives
from bot.answer.retrieval import stem, terms
from bot.answer.stance import other_speakers, raised_modals, shifted_time
from bot.answer.swaps import exchanged_agent, exchanged_roles, exchanges, reversed_direction, turned_around
from ingest.rolenames import ACRONYM, TITLES


def _words(text: str) -> frozenset[str]:
    """A word list written as words (easier to read and extend than a list of quoted strings)."""
    return frozenset(text.split())


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
#: widen its passage's reach, so each must appear in the cited text too. Not "often": like "may", it hedges a
#: claim the passage makes outright rather than widening it. "any" widens a claim to every case ("from any
#: industry" for "from other industries"); "easily" and "effortlessly" deny a difficulty the cited text did not
#: rule out: in the calibrate pairs they were only ever added to unsupported sentences.
_QUANTIFIERS = _words(
    "always never only alone required requires require mandatory essential all every none no sole solely single "
    "exclusively guarantee guarantees guaranteed invariably necessarily entirely fully completely most "
    "majority usually typically generally rarely seldom best worst primary main mostly largely mainly primarily "
    "predominantly chiefly any easily effortlessly"
)
#: Words that raise a claim's certainty or degree beyond what a passage says ("insists on" for "ideally wants",
#: "the definitive resource" for "a good resource", "grown significantly" for "grown", "the final say" on what a
#: role only takes part in): like a quantifier, each must be in the cited text (its root: "absolutely" meets
#: "absolute"). Only words that do nothing else: "must", "firm" and "vital" are as often a paraphrase's ("must
#: learn" for "will face ... learning"), so they are not here.
_INTENSIFIERS = _words(
    "definitive definitively absolute absolutely flawless flawlessly insist insists insisted insisting "
    "expert-level significantly dramatically indisputable indisputably undeniable undeniably unquestionably "
    "undoubtedly non-negotiable definitely certainly proven final unilateral ultimate"
)
#: "generally" only hedges a claim the cited text makes outright ("the CTO generally handles day-to-day delivery"
#: for "The CTO is responsible for ... the day-to-day delivery"), as "often" does; where the cited text limits its
#: claim ("some", "may", "can"), "generally" widens it. On calibrate, flat passages: 6 supported such sentences, 1
#: unsupported (caught as well by its "weak" for "good").
_HEDGES = _words("generally")
_LESSER_REACH = _words("some many may can might few several often sometimes perhaps certain could tend tends most")
#: Quantifiers of one reach: a paraphrase may say "every" for "all", "generally" for "tend to".
_SAME_REACH = [
    _words("all every each any"),
    _words("usually typically generally tend tends commonly"),
    _words("required requires require mandatory necessary essential"),
    _words("only alone sole solely exclusively"),
    _words("rarely seldom"),
    _words("main primary chief principal"),
    _words("most majority"),
    _words("mostly largely mainly primarily predominantly chiefly"),  # narrows a claim to its main part
]
#: The idioms of "usually": "in most cases", "most of the time", "more often than not".
_MOST_CASES = re.compile(r"\b(?:in most cases|most of the time|more often than not|for the most part)\b")
#: Titles a name may carry and what in the cited text vouches for each ("Dr. Chris Wood" for "Chris Wood, M.D.").
_TITLES = {"dr": _words("dr md doctor physician")}
#: C-suite roles as acronyms ("CTO", "CMIO"): naming a role the cited text does not name moves a claim to
#: another executive. Read as words, not substrings ("cto" is inside "director"); the common roles in lower case
#: too, as chat writes them ("first-gen ctos"), but not any lower-case word of that shape ("cameo", "condo").
_ROLE = re.compile(rf"\b({ACRONYM}|(?i:" + "|".join(TITLES).lower() + r"))s?\b")
#: The addressee of advice ("CIOs should ...", "CIOs may want ..."): the CIO (who hires, and reads the answer)
#: before one of these is the reader, not a claim about that role. Only the CIO: "The COO should ..." and
#: "more and more CTOs will ..." on a passage about another role are claims about the role they name.
_READER = "CIO"
_ADVISED = _words(  # "ca" and "wo": what "can't" and "won't" leave without their "n't"
    "should may can ca cannot could might must will wo need needs want seeking hiring looking"
)
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


#: What comes before a word that opens a sentence: nothing, or a question or exclamation mark (quotes and spaces
#: between).
_FIRST_PERSON = re.compile(r"I['’](?:d|m|ve|ll)")
_OPENS = re.compile(r"(?:^|[?!])[\s“”\"'‘’(*_]*$")


def _initials_of(name: str, cited: str) -> bool:
    """Whether an acronym is the initials of words the cited text runs together ("DR" of "disaster recovery")."""
    letters = name.rstrip("s") if name[:-1].isupper() else name
    if not (2 <= len(letters) <= 5 and letters.isupper()):
        return False
    words = re.findall(r"[a-z]+", cited.lower())
    n = len(letters)
    return any("".join(w[0] for w in words[i : i + n]) == letters.lower() for i in range(len(words) - n + 1))


def _named_in(key: str, lower: str) -> bool:
    """Whether the lower-cased cited text has the name at the start of a word ("ross" is not in "across", nor "hie"
    in "achieve"); a single letter (the "D" of "Ph.D.") anywhere, as the credentials check reads those."""
    if len(key) < 2:
        return key in lower
    return re.search(rf"\b{re.escape(key.removesuffix('s'))}", lower) is not None


def _names(sentence: str) -> set[str]:
    """Capitalised words and acronyms that open no sentence ("Coming from outside? Expect ...": "Expect" opens
    one) and are not common capitals."""
    out: set[str] = set()
    for match in _WORDS.finditer(sentence):
        bare = match.group(0).strip("'’-")
        if not bare or not bare[0].isupper():
            continue
        if _OPENS.search(sentence[: match.start()]) and not bare.isupper():
            continue
        if bare.lower().rstrip("s") in _COMMON_CAPITALS or bare.lower() in _COMMON_CAPITALS:
            continue
        if _FIRST_PERSON.fullmatch(bare):  # "I’d expect": the writer, as "I" is
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


#: Superlatives that rank a claim first ("the strongest contender" for "a good contender"); the cited text must hold
#: the word itself ("strong" does not vouch for "strongest"). Not "ideal" or "top": a paraphrase says "the ideal
#: candidate" for "the hiring manager ideally wants", "top leadership" for "senior executives".
_RANKING = _words("strongest greatest finest foremost premier biggest largest perfect")


def superlatives(sentence: str, cited: str) -> list[str]:
    """'the most X' where the cited text says only 'one of the most X' ("among the most X" says the same), and a
    ranking superlative (`_RANKING`) the cited text lacks."""
    lower = sentence.lower()
    have = set(re.findall(r"[a-z]+", cited.lower()))
    out = sorted({w for w in re.findall(r"[a-z]+", lower) if w in _RANKING and w not in have})
    for word in {m.group(1).lower() for m in _ONE_OF.finditer(cited)}:
        if re.search(rf"\bthe {word}\b", lower) and not re.search(rf"\b(?:one of|among) the {word}\b", lower):
            out.append(f"the {word}")
    return sorted(out)


def intensifiers(sentence: str, cited: str) -> list[str]:
    """The sentence's intensifiers (`_INTENSIFIERS`) whose root the cited text lacks."""
    lower = cited.lower()
    found = {w for w in re.findall(r"[a-z]+(?:-[a-z]+)*", sentence.lower()) if w in _INTENSIFIERS}
    return sorted(w for w in found if w.removesuffix("ly")[:6] not in lower)


def lexical_misses(sentence: str, cited: str) -> tuple[str, ...]:
    """The numbers, names and quantifiers of `sentence` that `cited` (its passages and sources) lacks, the
    words whose polarity it reverses (see `reversals`, `antonyms`), the phrases it swaps (`exchanges`) and the
    cause and effect it trades (`reversed_causes`)."""
    lower = cited.lower()
    missing = invented_numbers(sentence, cited)
    cited_words = set(re.findall(r"[a-z]+", lower.replace(".", "")))
    if _MOST_CASES.search(lower):
        # "in most cases" is the reach of "usually" (and of "mostly": "a mostly mission-driven culture"), not of "most"
        cited_words |= _reach("usually") | {"mostly"}
    for name in sorted(_names(sentence)):
        key = name.lower().removesuffix("’s").removesuffix("'s")
        if key in _TITLES and not name.isupper():  # "Dr" is a title, "DR" an acronym
            if not _TITLES[key] & cited_words:
                missing.append(name)
        elif not _named_in(key, lower) and not _initials_of(name, cited):
            missing.append(name)
    missing.extend(roles(sentence, cited))
    missing.extend(miscounts(sentence, cited))
    missing.extend(distributed(sentence, cited))
    hedged = set() if _LESSER_REACH & cited_words else _HEDGES
    missing.extend(sorted(w for w in quantifiers(sentence) - hedged if not _reach(w) & cited_words))
    missing.extend(_credentials(sentence, cited))
    missing.extend(superlatives(sentence, cited))
    missing.extend(intensifiers(sentence, cited))
    missing.extend(invented_examples(sentence, cited))
    missing.extend(descriptions(sentence, cited))
    missing.extend(reasons(sentence, cited))
    missing.extend(turned_comparatives(sentence, cited))
    missing.extend(reversals(sentence, cited))
    missing.extend(antonyms(sentence, cited))
    missing.extend(exchanges(sentence, cited))
    missing.extend(reversed_direction(sentence, cited))
    missing.extend(turned_around(sentence, cited))
    missing.extend(exchanged_agent(sentence, cited))
    missing.extend(exchanged_roles(sentence, cited))
    missing.extend(other_speakers(sentence, cited))
    missing.extend(raised_modals(sentence, cited))
    missing.extend(shifted_time(sentence, cited))
    missing.extend(reversed_causes(sentence, cited))
    return tuple(dict.fromkeys(missing))  # a role acronym is a name too: named once


def roles(sentence: str, cited: str) -> list[str]:
    """Role acronyms of the sentence that the cited text does not name, less the reader of advice: the CIO
    before an advising word ("CIOs should", "a CIO may want", "CIOs shouldn't"), after "as a" ("As a CIO, ...") or
    addressed ("For CIOs, ...")."""
    have = {role.upper() for role in _ROLE.findall(cited)}
    out = set()
    for match in _ROLE.finditer(sentence):
        role = match.group(1).upper()
        following = re.match(r"\s*([A-Za-z'’]+)", sentence[match.end() :])
        after = re.sub(r"n['’]t$", "", following.group(1).lower()) if following else ""  # "shouldn't": "should"
        before = sentence[: match.start()].lower().split()[-2:]
        addressed = sentence[match.end() :].startswith(",") and (
            before[-1:] == ["for"] or before in (["for", "a"], ["for", "the"])
        )
        advised = after in _ADVISED or before[-1:] == ["as"] or before in (["as", "a"], ["as", "an"]) or addressed
        reader = advised and role == _READER
        if role not in have and not reader:
            out.add(role)
    return sorted(out)


#: Words after which "all" floats: it gathers what was just named ("they may all be wanted") and widens nothing.
_FLOAT_AFTER = _words("they we you these those them us may might can could will would should must are were be have")


_NOT_LOWERS = frozenset(["always", "all", "every", "everyone"])
"""Quantifiers that "not" turns into a hedge ("not always", "not every"): the reach is less, not more."""


def quantifiers(sentence: str) -> set[str]:
    """The sentence's quantifiers, less a floating "all" ("these may all help" says no more than "these help")
    and a "never" that denies a denial ("never loses", "never quits": an unfailing trait, not a reach), and
    the idioms "get the most out of / from" and "make the most of" (make good use of, no majority). An "all" after
    a dash gathers the list before it ("... ethics — all to a high degree"), as after "they"."""
    words = re.findall(r"[a-z]+", re.sub(r"[—–]\s*all\b", "— they all", sentence.lower()))
    return {
        w
        for i, w in enumerate(words)
        if w in _QUANTIFIERS
        and not (w == "all" and i and words[i - 1] in _FLOAT_AFTER)
        and not (w == "never" and any(negative_verb(n) for n in words[i + 1 : i + 2]))
        and not (w in _NOT_LOWERS and i and words[i - 1] == "not")  # "often, though not always": a hedge
        and not (w == "most" and i and words[i - 1] == "the" and words[i + 1 : i + 2] in (["out"], ["from"], ["of"]))
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


#: An answer word that opens a sentence ("Yes —", "No,", "Not necessarily:"): it answers the question asked and
#: frames the claim after it, which is what the cited text must support; read as a claim, "no" was a denial and
#: "necessarily" a quantifier that no passage holds.
_ANSWER_WORD = re.compile(
    r"^\s*(?:[^?]{1,160}\?\s+)?(?:yes|no|not necessarily|not quite|not really|not always|not anymore|not yet"
    r"|in short|short answer)\s*(?:[—–:;,]|\s-)\s*",
    re.IGNORECASE,
)


def without_answer_word(sentence: str) -> str:
    """The sentence without an opening answer word (`_ANSWER_WORD`)."""
    return _ANSWER_WORD.sub("", sentence, count=1)


def asserts_nothing(sentence: str, question: str = "") -> bool:
    """A lead or a statement of silence: no content beyond the question's own words and framing."""
    if _SILENCE.search(sentence):
        return True
    asked = {stem(t) for t in terms(question)}
    words = [t for t in terms(sentence) if t not in _FRAMING and stem(t) not in asked]
    asked_names = {n.lower() for n in _names(question)} | set(question.lower().split())
    names = {n for n in _names(sentence) if n.lower() not in asked_names}
    return not words and not numbers_in(sentence) and not names


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
