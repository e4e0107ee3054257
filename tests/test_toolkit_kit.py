"""Interview kits (issue 17): 4 to 8 cited competencies per role, questions that read as English a
recruiter would ask, for the shipped roles and for a role an admin adds with no code change."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from bot.answer.advisor import Advisor, UnknownRoleError
from bot.cli import main
from bot.settings import Settings
from bot.toolkit.criteria import MAX_CRITERIA, criterion_name
from bot.toolkit.kit import InterviewKit
from bot.toolkit.service import Toolkit
from ingest.embedding.factory import Embedder
from ingest.loaders.frontmatter import split_front_matter
from tests.conftest import KNOWLEDGE, MakeSettings, advisor_with_cnio_article

CISO_BODY = (
    "## What the CISO owns\n\n"
    "The CISO is responsible for the security program of the whole health system, from medical devices to the "
    "electronic health record. The CISO leads incident response and reports security risk to the board.\n\n"
    "## What to look for\n\n"
    "Look for a leader who can explain security risk to physicians and executives in plain language. "
    "Strong skills in risk management, vendor assessment and regulatory compliance matter more than deep "
    "coding knowledge.\n\n"
    "## Background\n\n"
    "A good CISO candidate often comes from a security role in banking or government. "
    "Ten years of security experience, five of them leading a team, is the usual bar.\n\n"
    "## Watch-outs\n\n"
    "A CISO from outside healthcare may underestimate how clinical workflows limit security controls.\n"
)

GRAMMAR_BREAKS = (
    (re.compile(r"[{}]"), "an unfilled placeholder"),
    (re.compile(r"\s{2,}"), "a double space"),
    (re.compile(r"\s[,.?;:]"), "a space before punctuation"),
    (re.compile(r"\.\.|\?\?|,,|[.?]\s*[.?]”"), "doubled punctuation"),
    (re.compile(r"“\s*”"), "an empty quotation"),
)


def article_text(folder: Path) -> str:
    return "\n".join(split_front_matter(p.read_text(encoding="utf-8"))[1] for p in folder.glob("*.md"))


def assert_reads_as_english(question: str, articles: str) -> None:
    """A template question filled with a criterion: one capitalised sentence or two, ending in ? or ., whose
    quotation is the article's own words."""
    assert question[0].isupper(), question
    assert question.endswith(("?", ".")), question
    assert question.count("“") == question.count("”"), question
    for pattern, what in GRAMMAR_BREAKS:
        assert not pattern.search(question), f"{what}: {question}"
    for quote in re.findall(r"“(.+)”", question):
        assert quote.rstrip("…") in articles or quote.split("…")[0] in articles, quote


def check_kit(kit: InterviewKit, articles: str) -> None:
    assert 1 <= len(kit.competencies) <= MAX_CRITERIA
    for comp in kit.competencies:
        assert len(comp.questions) == 2
        for question in (*comp.questions, comp.probe):
            assert_reads_as_english(question, articles)
        assert comp.criterion.text.rstrip("…") in articles or comp.criterion.text.split("…")[0] in articles
        assert comp.look_for and comp.criterion.name


@pytest.fixture(scope="module")
def toolkit(built: tuple[Settings, Advisor]) -> Toolkit:
    return Toolkit(built[1])


def test_the_cto_kit_has_four_to_eight_cited_competencies(toolkit: Toolkit) -> None:
    kit = toolkit.kit("CTO")
    assert 4 <= len(kit.competencies) <= MAX_CRITERIA
    assert {c.criterion.kind for c in kit.competencies} >= {"quality", "responsibility", "background"}
    assert all(c.criterion.source in {s.n for s in kit.criteria.sources} for c in kit.competencies)


def test_the_cto_kit_holds_executive_presence(toolkit: Toolkit) -> None:
    assert any("executive presence" in c.criterion.text for c in toolkit.kit("CTO").competencies)


def test_every_question_of_the_shipped_roles_reads_as_english(toolkit: Toolkit) -> None:
    articles = article_text(KNOWLEDGE)
    for role in ("CTO", "CMIO"):
        check_kit(toolkit.kit(role), articles)


def test_red_flags_come_from_the_watch_outs(toolkit: Toolkit) -> None:
    kit = toolkit.kit("CTO")
    assert kit.criteria.red_flags
    assert all(comp.red_flags for comp in kit.competencies)
    assert any("outside of healthcare" in p.text for p in kit.criteria.red_flags)


def test_the_kit_json_has_the_issue_shape(toolkit: Toolkit) -> None:
    data = toolkit.kit("chief technology officer").to_json()
    assert data["role"] == "CTO" and data["sources"]
    for comp in data["competencies"]:
        assert set(comp) == {"name", "criterion", "questions", "probe", "look_for", "red_flags", "sources"}
        assert len(comp["sources"]) == 1


def test_a_role_no_article_is_about_is_an_error(toolkit: Toolkit) -> None:
    with pytest.raises(UnknownRoleError):
        toolkit.kit("CFO")


def test_a_newly_added_role_gets_a_kit_with_no_code_change(
    make_settings: MakeSettings, kb: Path, embedder: Embedder
) -> None:
    advisor = advisor_with_cnio_article(make_settings, kb, embedder, CISO_BODY.replace("CISO", "CNIO"))
    try:
        kit = Toolkit(advisor).kit("CNIO")
        assert len(kit.competencies) >= 4
        check_kit(kit, article_text(kb))
    finally:
        advisor.index.close()


def test_a_name_is_what_the_criterion_asks_for_when_it_says_so() -> None:
    text = "The generalist has given way to someone who has executive presence, can manage people and budgets."
    assert criterion_name(text) == "Executive presence"
    assert criterion_name("Look for a leader who can explain risk to physicians.") == "Explain risk to physicians"
    assert criterion_name("The CISO is responsible for the security program.") == "The security program"


def test_a_name_is_the_criterion_s_opening_words() -> None:
    assert (
        criterion_name("Luckily, the skills are transferable to healthcare.")
        == "The skills are transferable to healthcare"
    )
    assert criterion_name("Strong planning, organization, critical thinking and decision-making skills.").startswith(
        "Strong planning, organization"
    )
    assert criterion_name("A good candidate can come from a healthcare IT vendor or consulting firm.").endswith("…")


def test_the_cli_prints_the_kit_as_json(built: tuple[Settings, Advisor], monkeypatch: pytest.MonkeyPatch) -> None:
    settings, advisor = built
    monkeypatch.setattr("bot.cli.build_advisor", lambda *_: advisor)
    out = io.StringIO()
    assert main(["interview", "CTO", "--json", "--config", str(settings.config_dir / "config.yaml")], out=out) == 0
    assert json.loads(out.getvalue())["competencies"]


def test_the_cli_names_an_unknown_role(
    built: tuple[Settings, Advisor], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, advisor = built
    monkeypatch.setattr("bot.cli.build_advisor", lambda *_: advisor)
    assert main(["interview", "CFO", "--config", str(settings.config_dir / "config.yaml")], out=io.StringIO()) == 2
    assert "CFO" in capsys.readouterr().err


def test_the_console_chat_gives_a_kit(built: tuple[Settings, Advisor]) -> None:
    from bot.cli import chat

    inputs = iter(["/interview cto", "/interview", "/interview CFO", "/quit"])
    out = io.StringIO()
    assert chat(built[1], read=lambda _prompt: next(inputs), out=out) == 0
    text = out.getvalue()
    assert "Interview kit: chief technology officer (CTO)" in text
    assert "Usage: /interview ROLE" in text
    assert "CFO" in text.split("Usage: /interview ROLE", 1)[1]  # the unknown role is named, the chat goes on


def test_criteria_of_one_kind_are_asked_in_different_words(toolkit: Toolkit) -> None:
    """The CMIO's thin article gives four criteria of one kind: four different pairs of questions, not one."""
    for role in ("CTO", "CMIO"):
        kit = toolkit.kit(role)
        by_kind: dict[str, list[tuple[str, str]]] = {}
        for comp in kit.competencies:
            by_kind.setdefault(comp.criterion.kind, []).append(comp.questions)
        for kind, asked in by_kind.items():
            firsts = [q[0].split("“")[0] for q in asked[:3]]
            seconds = [q[1] for q in asked[:3]]
            assert len(set(firsts)) == len(firsts) and len(set(seconds)) == len(seconds), (role, kind)
