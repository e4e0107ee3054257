"""Which facets of a role (ingest.facets) a question asks about, so the sentences of that facet come first.

"What should I look for in a CTO?" wants the article's qualities; "where do candidates come from?" its
sources of candidates. A question's wording differs from an article's, so these are question cues,
not the sentence cues the ingest uses. A question that matches none wants no facet in particular.
Beside the facet, the form of answer asked for ("why?" wants a reason), whatever the facet.
"""

from __future__ import annotations

import re

from bot.answer.followup import own_words
from ingest.facets import cue

QUESTION_CUES: dict[str, re.Pattern[str]] = {
    "responsibility": cue(
        r"responsib",
        r"dut(?:y|ies)",
        r"own(?:s|ed)?\b",
        r"in charge",
        r"oversee",
        r"manage[sd]?\b",
        r"remit",
        r"scope of",
        r"job (?:description|entail)",
        r"what (?:does|do|did|would|will) (?:a|an|the|our|my|their|they|he|she|it|this|that)\b"
        r".*\b(?:do|handle|cover)\b",
        r"day[- ]to[- ]day",
        r"portfolio",
    ),
    "quality": cue(
        r"look(?:ing)? for",
        r"qualit",
        r"skills?",
        r"traits?",
        r"attributes?",
        r"competenc",
        r"strengths?",
        r"soft skills",
        r"make[s]? (?:a|an) (?:good|great|strong)",
        r"ideal",
        r"what kind of (?:person|leader)",
        r"profile",
    ),
    "background": cue(
        r"years?",
        r"experience",
        r"background",
        r"degree",
        r"qualif",
        r"credential",
        r"training",
        r"m\.?d\.?\b",
        r"clinician",
        r"physician",
        r"seniority",
    ),
    "source": cue(
        r"come from",
        r"where (?:do|can|should|could|would) (?:we|i|you)? ?(?:find|get|source|recruit|look)",
        r"where .* (?:find|source|recruit)",
        r"outside (?:of )?(?:healthcare|the industry)",
        r"other industr",
        r"non-?healthcare",
        r"vendor",
        r"consult",
        r"military",
        r"government",
        r"talent pools?",
        r"pipeline",
        r"hire from",
        r"(?:which|what|other) (?:sectors?|industries|fields|backgrounds)",
        r"beyond (?:hospitals|healthcare|health systems)",
        r"feeder",
    ),
    "challenge": cue(
        r"challeng",
        r"risks?",
        r"watch(?:-| )?outs?",
        r"watch out",
        r"pitfalls?",
        r"red flags?",
        r"concerns?",
        r"struggl",
        r"difficult",
        r"hard(?:er)? (?:for|to)",
        r"downsides?",
        r"obstacles?",
        r"trade-?offs?",
        r"wary",
        r"careful",
        r"trip(?:s|ped)? (?:\w+ ){0,2}up",
        r"hurdles?",
        r"stumbl",
        r"go wrong",
        r"gotchas?",
        r"blind ?spots?",
        r"learning curve",
    ),
    "trend": cue(
        r"trends?",
        r"chang(?:e|ed|es|ing)",
        r"evolv",
        r"generation",
        r"future",
        r"shift",
        r"moving",
        r"nowadays",
        r"today",
        r"over time",
        r"grown|grow(?:ing)?",
        r"new(?:er)? (?:kind|breed|type)",
        r"transition",
    ),
    "about": cue(
        r"who is",
        r"who's",
        r"who wrote",
        r"author",
        r"what is sfia",
        r"framework",
        r"resource",
    ),
}


def asked_facets(question: str) -> frozenset[str]:
    """The facets a question's own words ask for (often none, sometimes two: "skills and background")."""
    return frozenset(f for f, cue in QUESTION_CUES.items() if cue.search(question))


# The form of answer a question asks for, whatever its facet: a reason ("why?"), who said it, or a number.
# A sentence shows the form in its own words ("because ...", "Dr. Wood says", "six categories"), so these
# are cues on both sides, not facets stored at ingest.
_FORMS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "reason": (
        cue(r"why", r"what(?:'s| is) (?:driving|behind)", r"reasons?", r"how come"),
        cue(
            r"because",
            r"since",
            r"due to",
            r"so that",
            r"as a result",
            r"allow(?:s|ed)?",
            r"(?<!-)driv(?:en|ing|es)",  # not "mission-driven": a kind, not a cause
            # "has grown ..., as the healthcare enterprise becomes more technically complex": "as" with a change.
            r"as (?:the |its |their |a )?[\w ]{0,40}?(?:becomes|grows|gets|increases|expands|evolves)",
        ),
    ),
    "speaker": (
        cue(
            r"who (?:said|says|sa(?:id|ys) that|thinks|argues|claims)",
            r"who(?:'s| is) quoted",
            r"quote",
            # "What does Chris Wood of Loyola say about the CMIO role?": the person's own words are the answer.
            r"what (?:does|did|do) (?!(?:the|this|that|these|those|a|an|it|they|our|my|your|their|its|articles?)\b)"
            r"[\w.'’-]+(?: [\w.'’-]+){0,6} (?:say|said|think|argue|note|see|predict)s?\b",
        ),
        re.compile(r"\b(?:says|said|sees|notes|noting|writes|wrote|according to|told|discussed with)\b|“|\bDr\."),
    ),
    # "Who wrote the piece about ..., and what does she do?": the author's own lines in the article (her biography),
    # not whoever it quotes. A sentence shows it by naming its article's author (names_author), which its words
    # alone cannot tell: this cue never matches.
    "author": (
        cue(
            r"who (?:wrote|writes|authored|penned)",
            r"who(?:'s| is| was) the (?:author|writer)",
            r"(?:author|writer)s? (?:of|behind)",
        ),
        re.compile(r"(?!x)x"),
    ),
    # "Any upside to hiring one?", "why hire one anyway?" after the challenges: the good side, in the author's
    # evaluative words ("Luckily, ... transferable ... can provide fresh insight").
    "upside": (
        cue(
            r"upsides?",
            r"benefits?",
            r"advantages?",
            r"pros",
            r"plus side",
            r"bright side",
            r"why (?:would we |should we |would i |should i |)(?:hire|consider|bother)",
            r"what (?:do|does|would|could) (?:they|such \w+|newcomers|outsiders|one) bring",
            r"worth it",
            r"bring (?:anything|something|much|any)\b",
            r"(?:add|adds|adding) value",
            r"of value",
            r"carry over",
            # "Why would someone from outside healthcare even work out in that seat?"
            r"why (?:would|could|should|might|do|does|did) .{0,60}\b(?:work out|succeed|thrive|do well)",
        ),
        cue(
            r"luckily", r"fortunately", r"benefits?", r"advantages?", r"fresh", r"useful", r"valuable", r"transferable"
        ),
    ),
    # "Is the role the same everywhere, or does it vary place to place?": whether it depends, in the author's words
    # for depending ("still very much organization-dependent", "continues to be defined").
    "variation": (
        cue(
            r"(?:same|identical|uniform|standard(?:ized|ised)?|consistent|alike)\b.{0,60}\b(?:everywhere|across|every|"
            r"from one|each|between)",
            r"var(?:y|ies|ying)",
            r"place to place",
            r"(?:hospital|system|organi[sz]ation|institution) to (?:hospital|system|organi[sz]ation|institution)",
            r"one (?:[\w-]+ ){1,3}to the next",
            r"hinges? on",
            r"depends? on",
        ),
        cue(
            r"\w+-dependent",
            r"depends? on",
            r"depending on",
            r"var(?:y|ies)",
            r"(?:still|continues to) be(?:ing)? defined",
        ),
    ),
    # "What should I read on this?": a sentence that sends the reader to another text. Asked for, it answers;
    # otherwise it says nothing of the role (see points_elsewhere).
    "reading": (
        cue(
            r"(?:what|anything|something) (?:else )?(?:should|could|can) (?:i|we) read",
            r"further reading",
            r"reading list",
            r"learn more",
            r"read more",
            r"recommended (?:reading|articles?)",
            r"(?:articles?|sources?|references?) (?:on|about|for|to read)",
            r"where (?:can|could|should) (?:i|we) (?:read|find out|learn)",
        ),
        cue(
            r"(?:encourage|invite|urge|recommend) (?:you|readers) to read",
            r"to learn more",
            r"for (?:more|further) (?:on|about|information|detail)",
            r"read more",
        ),
    ),
    # "Once the go-live wraps, what happens to our CMIO?": what comes after a piece of work ends, in the author's
    # words for after ("after the EHR implementation is done").
    "aftermath": (
        cue(
            r"(?:after|once|when|now that)\b.{0,60}\b(?:go-?live|implementation|rollout|roll-out|install\w*|"
            r"(?:is|are|was|gets?) (?:done|over|finished|complete[d]?)|wraps?(?: up)?|ends?|finish\w*)",
            r"post-(?:go-?live|implementation|ehr|epic)",
            r"(?:go-?live|implementation|rollout|roll-out)s? (?:has |have |had )?(?:wrapped|ended|finished|"
            r"(?:is|was|are|were) (?:done|over|finished|complete[d]?))",
        ),
        cue(
            r"after (?:\S+ ){0,8}?(?:is|are|was|were|has been|have been) (?:done|over|finished|complete[d]?)",
            r"after (?:the )?(?:\S+ ){0,3}(?:implementation|go-?live|rollout)",
        ),
    ),
    # "Will that change?", "is that permanent, or does he expect it to shift?": what the author expects next.
    "future": (
        cue(
            r"will (?:that|it|this|they|the role|the job) (?:\w+ )?(?:change|shift|evolve|last|stay|continue)",
            r"(?:expect|predict|see|think) (?:that|it|this|the role|the job|them)? ?(?:to )?(?:change|shift|evolve)",
            r"permanent",
            r"going forward",
            r"in (?:the )?(?:future|coming years|years ahead)",
        ),
        cue(r"will (?:change|evolve|shift|prioriti[sz]e|become|continue)", r"over time", r"more and more"),
    ),
    # "Why has the seat become so much more important?", "what's behind its rising prestige?": the author's words
    # for a role that grew ("has grown, both in demand and status").
    "growth": (
        cue(
            r"more (?:important|valued|prized|sought[- ]after|in demand|prominent|strategic)",
            r"(?:rising|growing|increasing|higher) (?:prestige|status|importance|demand|profile|stature|appetite)",
            r"prize\w* .{0,40}more",
            r"bigger deal",
            r"more than (?:they|it|we|he|she) used to",
            r"(?:grown|risen|increased) in (?:importance|status|demand|stature)",
        ),
        cue(r"(?:has|have) (?:grown|risen|increased)", r"(?:grown|risen|increased),? (?:both )?in (?:demand|status)"),
    ),
    # "Which duties have been added to what the CTO oversees?": what a role has grown to cover, in the author's
    # words ("... has expanded to include more areas such as data analytics, IT security, ...").
    "expansion": (
        cue(
            r"(?:added|additional|extra|newer|new) (?:duties|domains|areas|responsibilities|remits?|functions)",
            r"(?:duties|domains|areas|responsibilities|functions) (?:have been |were |got )?added",
            r"come to (?:cover|include|oversee)",
            r"expand\w*",
            r"broaden\w*",
            r"widen\w*",
            r"beyond (?:the |its |their )?(?:classic|traditional|old|original|core|basic)",
            r"(?:fall|falls|roll|rolls) (?:up )?(?:under|into)",
            r"(?:picked|taken|took|take[ns]?) (?:up|on) (?:over|through|in|since)",
        ),
        cue(r"expand\w*", r"more areas", r"broaden\w*", r"grown to (?:include|cover)"),
    ),
    # "Which traits replaced the old techie stereotype?": what took the place of something, in the author's words
    # ("The 'super-techy' nerd ... has given way to someone who has executive presence").
    "replacement": (
        cue(r"stereotyp\w*", r"replac\w*", r"gave way", r"given way", r"in place of", r"took the place"),
        cue(r"given way", r"gave way", r"replac\w*", r"in place of", r"instead of"),
    ),
    # "What's the name of that skills guide?": a sentence that holds a name, a quoted title or three or more
    # capitalised words in a row ("SFIA – Skills Framework for the Information Age"); case matters here.
    "name": (
        cue(r"name of", r"title of", r"what(?:'s| is| was) (?:it|that|this|the \w+) called", r"called what"),
        re.compile(r"“[^”]{3,}”|\"[^\"]{3,}\"|(?:\b[A-Z][a-z]+[ –-]+(?:(?:for|of|the|and|on)\s+)*){3,}"),
    ),
    # "Any examples?": a list's items, or a sentence that gives its own ("for example ...").
    "examples": (
        cue(r"examples?", r"for instance", r"like what", r"such as what", r"specifics"),
        # Not "such as": "will face challenges such as ..." lists no example of what was asked.
        cue(r"for example", r"for instance", r"e\.g\."),
    ),
    "count": (
        cue(r"how many", r"number of", r"how much", r"how long"),
        re.compile(
            r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|decades?)\b",
            re.IGNORECASE,
        ),
    ),
}


def asked_forms(question: str) -> frozenset[str]:
    """The forms of answer the question's own words ask for; a follow-up's earlier question, which the
    resolver adds in brackets ("why? (Can a CTO come from outside healthcare?)"), does not count."""
    own = own_words(question)
    return frozenset(form for form, (asks, _) in _FORMS.items() if asks.search(own))


def shows_form(form: str, sentence: str) -> bool:
    """Whether a sentence's own words give that form of answer."""
    return bool(_FORMS[form][1].search(sentence))


def names_author(sentence: str, author: str) -> bool:
    """Whether a sentence names its article's author (by surname): what a question about the author wants."""
    surname = author.split()[-1] if author.strip() else ""
    return bool(surname) and re.search(rf"\b{re.escape(surname)}\b", sentence) is not None


def points_elsewhere(sentence: str) -> bool:
    """Whether a sentence only sends the reader to another text ("I encourage you to read Raths' article ... to
    learn more"): it shares a question's words (the article's title names the topic) but answers nothing."""
    return shows_form("reading", sentence)
