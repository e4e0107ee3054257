"""Deterministic follow-up resolution: "and for CMIOs?" becomes a standalone question before retrieval.

The conversation is replayed from the user's own turns (oldest first), so the same history always
resolves the same way, in the CLI, the console chat and Telegram alike. The rules carry the role and
the topic forward; they never add facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.answer.retrieval import terms
from bot.answer.roles import TITLES, find_roles
from bot.answer.scope import names_in

_CONTINUATION = re.compile(
    # "ok and ...", "thanks, and what about ...": a word of acknowledgement first still continues the thread.
    r"^\s*(?:(?:ok|okay|so|right|great|thanks|thank you|got it|cool|hmm|well|fine|sure)[,.!]?\s+)?"
    r"(and|also|what about|how about|same for|same question for|what of|and what about|now for|then for)\b",
    re.IGNORECASE,
)
_PRONOUNS = {
    "they": "the {r}",
    "them": "the {r}",
    "their": "the {r}'s",
    "he": "the {r}",
    "she": "the {r}",
    "him": "the {r}",
    "his": "the {r}'s",
    "her": "the {r}'s",
    "that role": "the {r} role",
    "this role": "the {r} role",
    "the role": "the {r} role",
    "such a person": "a {r}",
    "this person": "the {r}",
    "the candidate": "the {r} candidate",
}
_PERSONAL = re.compile(r"\b(?:he|she|him|his|her|they|them|their)\b", re.IGNORECASE)
"""Pronouns for a person, which a question about someone ("Who is Chris Wood?") gives a referent."""
_ABOUT_SOMEONE = re.compile(r"^\s*(?:who(?:'s|’s| is| was| wrote| authored| said)|whose)\b", re.IGNORECASE)
_SOMEONE = re.compile(r"\b(?:he|she|him|his|her)\b", re.IGNORECASE)
"""After a question about someone ("Who wrote ...?", not "Who makes a good CMIO?"), a singular personal
pronoun means that someone, even beside a role."""
_ANAPHORA = re.compile(r"\b(that|this|it|those|these|same|ones)\b", re.IGNORECASE)
_POINTS_BACK = re.compile(
    r"\b(?:those|these)\b(?! days)|\b(?:in there|in that|from that|that list|that plan|the above)\b", re.IGNORECASE
)
"""Words that point back to the earlier answer however long the turn ("Does one person really own all of those in
a big system like ours?"), unlike "it" or "that", which a standalone question uses too."""
_OTHER_ROLE = re.compile(r"\bthe other (?:role|one|position|job|exec(?:utive)?|seat)\b", re.IGNORECASE)
"""After a question about one role, "the other role" is the knowledge base's other one, when it has just two."""
_SWITCH_WORDS = frozenset({"question", "role", "position", "job", "one", "too", "well", "same", "case"})
"""Words a bare role switch may hold ("same question for a cmio", "and for the CMIO role?") besides the role."""
_PRONOUN_RE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _PRONOUNS), key=len, reverse=True)) + r")\b", re.I)


_OTHER_ONE = re.compile(
    r"^\s*(?:[\w,.!]+\s+){0,2}?(?:and|also|what about|how about|what of|and what about)\s+(?:for\s+|of\s+)?"
    r"(?:the\s+)?(?P<mod>[\w'’]+)([- ])(?P<head>[a-z]{3,})s?(?:\s+ones?)?\s*[?.!]?\s*$",
    re.IGNORECASE,
)
"""A turn that names another kind of the thing just asked about ("and the second generation?" after a question
on the first generation): the earlier question, with this kind in place of the other."""


def _other_one(question: str, earlier: str) -> str | None:
    """The earlier question asked of the other kind this turn names, or None when it names none the earlier
    question has ("first generation" for "second generation", "first-gen" for "second-gen")."""
    turn = _OTHER_ONE.match(question)
    if not turn:
        return None
    mod, head = turn.group("mod").lower(), turn.group("head").lower()
    # A lookahead, so that pairs overlap: "do second-gen" must not hide "second-gen".
    for found in re.finditer(r"(?=\b([\w'’]+)[- ]([a-z]{3,})\b)", earlier, re.IGNORECASE):
        other, word = found.group(1).lower(), found.group(2).lower()
        if other != mod and (word.startswith(head) or head.startswith(word)):
            return earlier[: found.start(1)] + turn.group("mod") + earlier[found.end(1) :]
    return None


def own_words(question: str) -> str:
    """A resolved question's own turn, without the earlier question that resolve_one adds in brackets ("why?
    (Can a CTO come from outside healthcare?)"): what the user asked for in this turn."""
    return question.split(" (", 1)[0]


@dataclass(frozen=True)
class Resolved:
    """The question to retrieve with, the roles it is about, and whether context was carried in."""

    question: str
    roles: tuple[str, ...]
    carried: bool = False


def _swap_roles(question: str, old: Sequence[str], new: Sequence[str]) -> str:
    """Put the new roles where the previous question named the old ones."""
    replacement = " and ".join(new)
    out = question
    for role in old:
        for name in (role, *TITLES.get(role, ())):
            # "What do CMIOs do?" -> "What do CTOs do?": a plural stays plural.
            out = re.sub(
                rf"\b{re.escape(name)}(s?)\b",
                lambda m: replacement + (m.group(1) if len(new) == 1 else ""),
                out,
                flags=re.IGNORECASE,
            )
    if out == question:
        out = f"{question.rstrip(' ?.')} for the {replacement} role?"
    return out


def _asks_something_new(question: str, roles: Sequence[str]) -> bool:
    """Whether a question that names a role also asks something of its own ("what about the CMIO's
    salary?"), so that it is a new question about that role, not the previous one asked again."""
    named = {t for role in roles for name in (role, *TITLES.get(role, ())) for t in terms(name)} | _SWITCH_WORDS
    # terms() leaves short words unfolded: "CTOs" is the term "ctos", still only the role.
    return any(w not in named and w.removesuffix("s") not in named for w in (t.rstrip("'") for t in terms(question)))


def _fill_pronouns(question: str, role: str) -> tuple[str, bool]:
    """Replace the first pronoun that stands for the role ('they' -> 'the CTO')."""
    match = _PRONOUN_RE.search(question)
    if not match:
        return question, False
    replacement = _PRONOUNS[match.group(1).lower()].format(r=role)
    return question[: match.start()] + replacement + question[match.end() :], True


def resolve_one(
    question: str, context: Resolved | None, known_roles: Iterable[str], names: frozenset[str] = frozenset()
) -> Resolved:
    known = list(known_roles)
    roles = tuple(find_roles(question, known))
    if context is None:
        return Resolved(question, roles)
    others = [r for r in known if r not in context.roles]
    if not roles and context.roles and len(others) == 1 and _OTHER_ROLE.search(question):
        # "ok and the other role — how has it changed?" after a CTO question: the CMIO.
        question = _OTHER_ROLE.sub(f"the {others[0]} role", question, count=1)
        roles = (others[0],)
    continuation = bool(_CONTINUATION.match(question))
    # A short turn that names something of the knowledge base ("What is SFIA?") is a question of its own.
    short = len(terms(question)) <= 3 and not names_in(question, names)
    # A short question only leans on the conversation when something in it points back.
    leaning = continuation or (short and bool(_ANAPHORA.search(question)))
    other = _other_one(question, context.question) if continuation and not roles else None
    if other:
        return Resolved(other, context.roles, carried=True)
    if roles:
        if leaning and context.roles and not _asks_something_new(question, roles):
            # "and for CMIOs?", "is that the same for a CMIO?" -> the previous question, about the new role.
            return Resolved(_swap_roles(context.question, context.roles, roles), roles, carried=True)
        return Resolved(question, roles)
    if not context.roles:
        # No role to put in the pronoun's place ("Who is Chris Wood?" ... "what does he expect?"): the earlier
        # question itself says who is meant.
        if leaning or short or _PERSONAL.search(question):
            return Resolved(f"{question.rstrip()} ({context.question})", (), carried=True)
        return Resolved(question, ())
    if _ABOUT_SOMEONE.match(context.question) and _SOMEONE.search(question):
        # "Who wrote the CTO article?" ... "what firm is she with?": she is the author, not the CTO.
        return Resolved(f"{question.rstrip()} ({context.question})", context.roles, carried=True)
    role = " and ".join(context.roles)
    filled, changed = _fill_pronouns(question, role)
    if changed:
        return Resolved(filled, context.roles, carried=True)
    if short and not continuation:
        # "who said that?", "does that include pay?", "why?", "any examples?" ask something of the earlier
        # answer itself, not of the role in general: the earlier question says what "that" is. Without a
        # word pointing back no role is fixed, so a short new question ("Tell me about telehealth") still
        # finds its article.
        carried = context.roles if leaning else ()
        return Resolved(f"{question.rstrip()} ({context.question})", carried, carried=True)
    if leaning:
        # "and the qualities?": the thread's role, a new ask.
        return Resolved(f"{question.rstrip(' ?')} for the {role} role?", context.roles, carried=True)
    if _POINTS_BACK.search(question):
        # "Does one person really own all of those ...?": what "those" are, the earlier question says.
        return Resolved(f"{question.rstrip()} ({context.question})", context.roles, carried=True)
    return Resolved(question, ())


def resolve(
    question: str, history: Sequence[str], known_roles: Iterable[str] = (), names: frozenset[str] = frozenset()
) -> Resolved:
    """Resolve `question` against the user's earlier turns (oldest first); `names` are the knowledge base's
    own (people, organisations, acronyms), which make a short turn a question of its own."""
    known = list(known_roles)
    context: Resolved | None = None
    for turn in history:
        step = resolve_one(turn, context, known, names)
        # A turn about no role keeps the earlier role as context (e.g. "what is SFIA?" between questions).
        context = step if step.roles or context is None else Resolved(step.question, context.roles)
    return resolve_one(question, context, known, names)
