"""Job-description drafts (issue 17): summary, responsibilities, qualifications and experience from the role's
cited criteria, labelled a draft to edit, as JSON, Markdown or DOCX; for the shipped roles and a new one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import docx
import pytest

from bot.answer.advisor import Advisor
from bot.answer.types import Source
from bot.settings import Settings
from bot.toolkit.jd import cite
from bot.toolkit.service import Toolkit
from ingest.embedding.factory import Embedder
from tests.conftest import MakeSettings, advisor_with_cnio_article
from tests.test_toolkit_scorecard import CNIO_BODY
from tests.toolkit_cli import run

HEADINGS = ["Summary", "Responsibilities", "Qualifications", "Experience"]
KIND_OF = {"Responsibilities": "responsibility", "Qualifications": "quality", "Experience": "background"}


def check_json(data: dict[str, object]) -> None:
    """The issue's exact shape, and every point cited to a listed source."""
    assert set(data) == {"role", "sections", "sources"}
    sections = data["sections"]
    assert isinstance(sections, list) and [s["heading"] for s in sections] == HEADINGS
    numbers = {s["n"] for s in data["sources"]}  # type: ignore[attr-defined]
    for section in sections:
        assert set(section) == {"heading", "points"}
        for point in section["points"]:
            assert set(point) == {"text", "source"}
            assert point["source"] in numbers and point["text"]


@pytest.fixture(scope="module")
def toolkit(built: tuple[Settings, Advisor]) -> Toolkit:
    return Toolkit(built[1])


@pytest.mark.parametrize("role", ["CTO", "CMIO"])
def test_the_json_has_the_exact_shape_and_every_point_s_source_is_listed(
    role: str, built: tuple[Settings, Advisor], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, printed = run(["jd", role, "--json"], *built, monkeypatch)
    data = json.loads(printed)
    assert code == 0 and data["role"] == role
    check_json(data)


def test_each_section_holds_the_criteria_of_its_kind(toolkit: Toolkit) -> None:
    draft = toolkit.jd("CTO")
    criteria = toolkit.criteria("CTO").criteria
    for section in draft.sections[1:]:
        assert section.points, section.heading
        assert [p.text for p in section.points] == [c.text for c in criteria if c.kind == KIND_OF[section.heading]]
    assert len(draft.sections[0].points) == 1  # the role's direction, cited
    assert "has expanded" in draft.sections[0].points[0].text


def test_the_draft_is_labelled_a_draft_to_edit_and_names_the_role(toolkit: Toolkit) -> None:
    text = toolkit.jd("CMIO").text
    first, _, label = text.splitlines()[:3]
    assert first == "# Job description (draft): Chief medical information officer (CMIO)"
    assert label.startswith("**Draft to edit.")
    assert "chief medical information officer (CMIO) role" in text.split("## Summary")[1]


def test_a_thin_role_s_empty_sections_say_so(toolkit: Toolkit) -> None:
    draft = toolkit.jd("CMIO")
    sections = draft.text.split("\n## ")[1:]
    for section in draft.sections[1:]:
        body = next(s for s in sections if s.startswith(section.heading))
        assert section.points or "write it yourself" in body


def test_every_markdown_bullet_keeps_its_citation(toolkit: Toolkit) -> None:
    draft = toolkit.jd("CTO")
    bullets = [line for line in draft.text.splitlines() if line.startswith("- ")]
    assert len(bullets) == sum(len(s.points) for s in draft.sections)
    assert all(re.search(r" \[\d+\]$", b) for b in bullets)
    assert draft.text.rstrip().endswith(f"[1] {draft.sources[0].label()}")


def test_the_docx_draft_is_labelled_and_holds_each_cited_bullet_and_the_sources(
    built: tuple[Settings, Advisor], toolkit: Toolkit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cto-jd.docx"
    code, printed = run(["jd", "CTO", "--out", str(path)], *built, monkeypatch)
    assert code == 0 and str(path) in printed
    paragraphs = docx.Document(str(path)).paragraphs
    assert paragraphs[1].text.startswith("Draft to edit.")
    headings = [p.text for p in paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert headings == [*HEADINGS, "Sources"]
    bullets = [p.text for p in paragraphs if p.style is not None and p.style.name == "List Bullet"]
    draft = toolkit.jd("CTO")
    assert bullets == [f"{p.text} [{p.source}]" for s in draft.sections for p in s.points]
    assert paragraphs[-1].text == f"[1] {draft.sources[0].label()}"


def test_a_markdown_out_file_holds_the_printed_draft(
    built: tuple[Settings, Advisor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "jd.md"
    assert run(["jd", "CMIO", "--out", str(path)], *built, monkeypatch)[0] == 0
    assert path.read_text(encoding="utf-8") == run(["jd", "CMIO"], *built, monkeypatch)[1]


@pytest.mark.parametrize("name", ["jd.csv", "nowhere/jd.md"])
def test_a_bad_out_exits_2_and_writes_nothing(
    name: str,
    built: tuple[Settings, Advisor],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, printed = run(["jd", "CTO", "--out", str(tmp_path / name)], *built, monkeypatch)
    assert code == 2 and printed == "" and capsys.readouterr().err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_direction_from_another_article_is_numbered_after_the_criteria_sources() -> None:
    listed = [Source(1, "A", "", "", "a.md")]
    assert cite(Source(7, "A", "", "", "a.md"), listed) == (1, listed)
    n, sources = cite(Source(3, "B", "Bea", "Pub", "b.md", "https://example.org/b"), listed)
    assert n == 2 and sources[1] == Source(2, "B", "Bea", "Pub", "b.md", "https://example.org/b")


def test_a_newly_added_role_gets_a_draft_with_no_code_change(
    make_settings: MakeSettings, kb: Path, embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    advisor = advisor_with_cnio_article(make_settings, kb, embedder, CNIO_BODY)
    try:
        draft = Toolkit(advisor).jd("CNIO")
        code, printed = run(["jd", "CNIO", "--json"], make_settings(), advisor, monkeypatch)
    finally:
        advisor.index.close()
    assert code == 0
    check_json(json.loads(printed))
    assert all(section.points for section in draft.sections)
    assert "shaping how nursing care is planned" in draft.sections[0].points[0].text
    first_line = draft.text.splitlines()[0]
    assert first_line.startswith("# Job description (draft): ") and "CNIO" in first_line
    assert [s.title for s in draft.sources] == ["Hiring a Chief Nursing Informatics Officer"]
