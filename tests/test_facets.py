"""Facets at ingest (issue 13): every quotable unit of an article is tagged, the tags are stored with
its chunk, and briefs and comparisons draw each section from its own facet only, for the shipped
articles and for a role an admin adds later."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.answer.advisor import Advisor
from bot.answer.asked import asked_facets, asked_forms, shows_form
from bot.answer.briefs import SECTION_FACETS, SECTIONS, build_brief
from bot.answer.extractive import Candidate
from bot.quality.evaluate import same_sentence
from bot.settings import Settings
from ingest.chunking import Chunk, units
from ingest.embedding.factory import Embedder
from ingest.facets import FACETS, GENERAL, FacetTagger
from tests.conftest import MakeSettings, advisor_with_cnio_article


def _tagged(advisor: Advisor) -> dict[str, str]:
    """Every stored unit's text with its stored facet."""
    out: dict[str, str] = {}
    for hit in advisor.index.chunks():
        facets = hit.metadata["facets"]
        assert len(facets) == len(units(hit.text)), hit.id
        out.update({u.text: str(f) for u, f in zip(units(hit.text), facets, strict=True)})
    return out


def _second(advisor: Advisor) -> dict[str, str]:
    """Every stored unit's text with its stored second facet ("" for none)."""
    out: dict[str, str] = {}
    for hit in advisor.index.chunks():
        also = hit.metadata.get("facets_also") or [""] * len(units(hit.text))
        assert len(also) == len(units(hit.text)), hit.id
        out.update({u.text: str(f) for u, f in zip(units(hit.text), also, strict=True)})
    return out


def test_every_unit_is_stored_with_a_facet(built: tuple[Settings, Advisor]) -> None:
    tags = _tagged(built[1])
    assert set(tags.values()) <= {*FACETS, GENERAL}

    def facet_of(start: str) -> str:
        return next(f for text, f in tags.items() if text.startswith(start))

    # The list under "The key qualities sought after ... may include:" speaks for its items.
    assert facet_of("Knowledge of current business practices") == "quality"
    assert facet_of("Ability to listen effectively, respond t") == "quality"
    assert facet_of("Design and build the strategic IT roadma") == "responsibility"
    assert facet_of("A CTO from outside of healthcare will fa") == "challenge"
    assert facet_of("A good CTO candidate can come from a hea") == "source"
    assert facet_of("The hiring manager ideally wants someone") == "background"
    assert facet_of("Hillary Ross, J.D. leads Witt/Kieffer’s") == "about"
    assert facet_of("Health system CIOs need a strong team, a") != "challenge"


def test_each_brief_section_holds_only_its_facet(built: tuple[Settings, Advisor]) -> None:
    advisor = built[1]
    tags, second = _tagged(advisor), _second(advisor)
    for role in ("CTO", "CMIO"):
        brief = advisor.brief_sync(role)
        for heading, points in brief.sections:
            facets = [next(f for text, f in tags.items() if same_sentence(p.text, text)) for p in points]
            if any(f in SECTION_FACETS[heading] for f in facets) or not points:
                assert all(f in SECTION_FACETS[heading] for f in facets), (role, heading, points)
            else:  # a section none of whose facet's sentences the article holds: its second facet's
                also = [next(f for text, f in second.items() if same_sentence(p.text, text)) for p in points]
                assert all(f in SECTION_FACETS[heading] for f in also), (role, heading, points)
    cto = advisor.brief_sync("CTO")
    looks = dict((h, " ".join(p.text for p in pts)) for h, pts in cto.sections)
    assert "executive presence" in looks["What to look for"]
    assert "strong team" not in looks["Watch-outs"]
    assert [h for h, _ in cto.sections] == [h for h, _ in SECTIONS]
    comparison = advisor.compare_sync("CTO", "CMIO")
    for heading, left, right in comparison.sections:
        for point in [*left, *right]:
            facet = next(f for text, f in tags.items() if same_sentence(point.text, text))
            also = next(f for text, f in second.items() if same_sentence(point.text, text))
            assert facet in SECTION_FACETS[heading] or also in SECTION_FACETS[heading], (heading, point.text)


def test_a_section_its_facet_leaves_empty_takes_a_second_facet(built: tuple[Settings, Advisor]) -> None:
    """The CMIO article's every sentence of responsibility opens by pointing back ("They worked on ..."), so
    its brief's "What the role owns" said nothing; the sentence they point back to is a trend first (its
    title says "The Next Generation"), and a responsibility as well."""
    advisor = built[1]
    second = _second(advisor)
    first_generation = "First-generation CMIOs had significant responsibility for implementing clinical systems"
    assert next(f for t, f in second.items() if t.startswith(first_generation)) == "responsibility"
    owns = dict(advisor.brief_sync("CMIO").sections)["What the role owns"]
    assert [p.text for p in owns if p.text.startswith(first_generation)]
    # A CTO section with sentences of its own takes no second facet's: the CTO brief is as it was.
    cto = dict(advisor.brief_sync("CTO").sections)
    assert all(
        _tagged(advisor)[next(t for t in second if same_sentence(p.text, t))] == "challenge" for p in cto["Watch-outs"]
    )


def test_a_role_added_later_gets_sections_by_facet(make_settings: MakeSettings, kb: Path, embedder: Embedder) -> None:
    advisor = advisor_with_cnio_article(
        make_settings,
        kb,
        embedder,
        "The CNIO is responsible for nursing informatics strategy and the nursing documentation in the EHR. "
        "Hiring managers look for a CNIO with strong change leadership and the ability to translate between "
        "nurses and IT. "
        "Most CNIOs bring ten or more years of clinical nursing experience and a master's degree. "
        "A CNIO from outside nursing will face challenges winning the trust of nurses.\n",
    )
    try:
        sections = {h: " ".join(p.text for p in pts) for h, pts in advisor.brief_sync("CNIO").sections}
    finally:
        advisor.index.close()
    assert "nursing informatics strategy" in sections["What the role owns"]
    assert "change leadership" in sections["What to look for"]
    assert "ten or more years" in sections["Background and experience"]
    assert "winning the trust" in sections["Watch-outs"]
    assert not sections["How the role is changing"]


def test_an_index_without_facets_still_gets_briefs(built: tuple[Settings, Advisor]) -> None:
    """A version built before facets existed tags nothing: every section may then use any sentence."""
    advisor = built[1]

    def untagged(role: str, query: str) -> list[Candidate]:
        return [replace(c, facet="") for c in advisor.rank_section(role, query)]

    brief = build_brief(untagged, "CTO")
    assert all(points for _, points in brief.sections[:4])


def test_the_tagger_needs_no_headings_and_says_general_when_nothing_fits(embedder: Embedder) -> None:
    tagger = FacetTagger(embedder.encode)
    text = "The weather was pleasant on the day we met.\n\nThe CTO is responsible for all infrastructure services."
    [tags] = tagger.tag([Chunk(text, (), 0, text)])
    assert tags == [GENERAL, "responsibility"]


def test_questions_ask_for_facets() -> None:
    assert "quality" in asked_facets("What should I look for in a CTO?")
    assert "source" in asked_facets("Where do CTO candidates come from?")
    assert "challenge" in asked_facets("Any red flags when hiring a CMIO?")
    # Everyday words for a challenge: "what will trip them up", "any gotchas", "hurdles", "blind spots".
    for asked in ("What will trip a banker up as our CTO?", "Any gotchas with an outside CTO?", "What hurdles?"):
        assert "challenge" in asked_facets(asked)
    assert "background" in asked_facets("How many years of experience does a CTO need?")
    assert asked_facets("Tell me about the CMIO") == frozenset()


def test_questions_ask_for_a_form_of_answer_in_their_own_words() -> None:
    """ "why?" wants a reason, "who said that?" a speaker, "how many?" a number; a follow-up's earlier
    question, added in brackets by the resolver, asks for nothing."""
    assert asked_forms("why? (Can a CTO come from outside healthcare?)") == {"reason"}
    assert asked_forms("who said that? (Is the CMIO still an implementation role?)") == {"speaker"}
    assert asked_forms("how many categories? (What's SFIA?)") == {"count"}
    assert asked_forms("what does the CTO do? (Why hire one?)") == frozenset()
    assert asked_forms("is there any upside to hiring one from outside healthcare?") == {"upside"}
    assert asked_forms("so why hire one then? (What challenges does an outsider face?)") == {"reason", "upside"}
    assert shows_form("upside", "Luckily, the CTO training and skills from other industries are transferable.")
    # What comes after a piece of work ends, and the author's words for after it.
    assert asked_forms("Once the EHR rollout wraps up, what becomes of our CMIO?") == {"aftermath"}
    assert asked_forms("Our go-live is done. Now what should the CMIO focus on?") == {"aftermath"}
    assert asked_forms("What does a CTO do after hours?") == frozenset()
    assert shows_form("aftermath", "Some don't know what to do with their CMIOs after the EHR implementation is done.")
    assert not shows_form("aftermath", "First-generation CMIOs had responsibility for implementing clinical systems.")
    # What the author expects next; and examples, which a list's items give (scored in bot.answer.extractive).
    assert asked_forms("will that change? (What happens to CMIOs after the EHR?)") == {"future"}
    assert asked_forms("Is that permanent, or does he expect it to shift?") == {"future"}
    assert shows_form("future", "This will change over time, however.")
    assert asked_forms("Any examples? (What is the CTO responsible for?)") == {"examples"}
    assert "growth" in asked_forms("Why has the CTO seat become so much more important lately?")
    assert "upside" in asked_forms("Do cross-sector execs bring anything of value to a hospital?")
    assert asked_forms("Which exec traits replaced the old techie stereotype?") == {"replacement"}
    assert asked_forms("What's the name of that skills guide the article recommends?") == {"name"}
    assert shows_form("name", "Be sure to check out SFIA – Skills Framework for the Information Age.")
    assert not shows_form("name", "It is a good resource that breaks down technology skills into six categories.")
    assert shows_form("replacement", "The nerd in the cubicle has given way to someone with executive presence.")
    assert "upside" in asked_forms("Why would those candidates add value? Does their experience carry over?")
    assert asked_forms("Which duties have been added to what the top engineering executive oversees?") == {"expansion"}
    assert "expansion" in asked_forms("Beyond the classic plumbing remit, which newer domains roll up into it?")
    assert "expansion" in asked_forms("What new things has the tech chief job picked up over the years?")
    assert shows_form("expansion", "The traditional CTO role has expanded to include more areas such as telehealth.")
    assert not shows_form("expansion", "Design and build the strategic IT roadmap.")
    assert "source" in asked_facets("Beyond hospitals, which talent pools or sectors look promising for a CTO?")
    assert shows_form("growth", "The CTO role has grown, both in demand and status, as the enterprise grows complex.")
    assert not shows_form("growth", "Because the talent demand is so huge, this has allowed IT professionals in.")
    assert not shows_form("examples", "A CTO from outside healthcare will face challenges such as learning.")
    assert not shows_form("upside", "A CTO from outside of healthcare will face challenges.")
    assert asked_forms("Is the CMIO role standardized across hospitals, or does it vary place to place?") == {
        "variation"
    }
    assert asked_forms("Does the job look the same from one health system to the next?") == {"variation"}
    assert shows_form(
        "variation", "The CMIO role continues to be defined and is still very much organization-dependent."
    )
    assert not shows_form("variation", "The CMIO role has been in place for well over a decade.")
    assert shows_form("reason", "Because the talent demand is so huge, this has allowed IT professionals in.")
    assert shows_form("reason", "The CTO role has grown in status, as the healthcare enterprise becomes more complex.")
    assert not shows_form("reason", "Dr. Wood sees the second-generation evolving as well.")
    assert not shows_form("reason", "A CTO from outside will need to be mission-driven and not profit-driven.")
    assert shows_form("reason", "The shift is driven by demand.")
    assert shows_form("speaker", "“This isn’t an implementation job,” Dr. Wood says.")
    assert shows_form("count", "It breaks down technology skills into six categories and 96 skills.")
    assert not shows_form("count", "Strong planning and organization.")


def test_a_brief_reads_all_of_a_small_roles_articles(built: tuple[Settings, Advisor]) -> None:
    """A brief's sections are chosen from every passage of the role's articles, not only the few an
    answer reads (max_per_article): the CTO article's opening holds its executive-presence sentence."""
    advisor = built[1]
    cto_chunks = {h.id for h in advisor.index.chunks() if "CTO" in (h.metadata.get("roles") or [])}
    assert len(cto_chunks) > advisor.cfg.max_per_article
    ranked = advisor.rank_section("CTO", SECTIONS[1][1].format(r="CTO", t="chief technology officer"))
    assert len({(c.passage.doc_id, c.passage.n) for c in ranked}) == len(cto_chunks)
