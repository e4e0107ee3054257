"""Scorecards (issue 17): one cited row per criterion on a 4-point anchored scale with no middle, written as
DOCX (a real table), CSV or Markdown, whole or not at all; for the shipped roles and a newly added one."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.table import Table

from bot.answer.advisor import Advisor
from bot.answer.types import Point, Source
from bot.settings import Settings
from bot.toolkit.criteria import Criterion, RoleCriteria
from bot.toolkit.documents import scorecard_csv
from bot.toolkit.outfile import write_atomic
from bot.toolkit.scorecard import ANCHORS, RECOMMENDATION, build_scorecard
from bot.toolkit.service import Toolkit
from ingest.embedding.factory import Embedder
from tests.conftest import MakeSettings, advisor_with_cnio_article
from tests.toolkit_cli import run

CNIO_BODY = (
    "## What the CNIO owns\n\n"
    "The CNIO is responsible for the nursing documentation in the electronic health record and for the "
    "clinical decision support that nurses see at the bedside. The CNIO leads the nurse informaticists.\n\n"
    "## What to look for\n\n"
    "Look for a nurse leader who can turn a frustrated unit's complaints into a better workflow. "
    "Strong skills in change management, data literacy and teaching matter more than programming.\n\n"
    "## Background\n\n"
    "A good CNIO candidate is a registered nurse with a master's degree in nursing informatics. "
    "Eight years of clinical practice, three of them leading an EHR rollout, is the usual bar.\n\n"
    "## Where the role is heading\n\n"
    "The next generation of CNIOs will move from running the EHR for nurses to shaping how nursing care is "
    "planned with data.\n"
)
CITED = re.compile(r"\[(\d+)\]$")


def criteria_table(path: Path) -> Table:
    tables = [t for t in docx.Document(str(path)).tables if t.rows[0].cells[0].text.startswith("Criterion")]
    assert len(tables) == 1
    return tables[0]


@pytest.fixture(scope="module")
def toolkit(built: tuple[Settings, Advisor]) -> Toolkit:
    return Toolkit(built[1])


def test_the_docx_scorecard_is_a_real_table_with_one_cited_row_per_criterion(
    built: tuple[Settings, Advisor], toolkit: Toolkit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cto.docx"
    code, printed = run(["scorecard", "CTO", "--out", str(path)], *built, monkeypatch)
    assert code == 0 and str(path) in printed
    card = toolkit.scorecard("CTO")
    table = criteria_table(path)
    header = [c.text for c in table.rows[0].cells]
    assert header[0].startswith("Criterion") and "Rating" in header[1] and "Evidence" in header[2]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on each page
    assert len(table.rows) == 1 + len(card.rows) >= 5
    numbers = {s.n for s in card.sources}
    for line, row in zip(table.rows[1:], card.rows, strict=True):
        criterion, _, notes = (c.text for c in line.cells)
        cited = CITED.search(criterion)
        assert cited and int(cited.group(1)) in numbers
        assert row.criterion.text in criterion
        assert notes == ""


def test_the_docx_scorecard_holds_the_scale_the_recommendation_and_the_sources(
    built: tuple[Settings, Advisor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cmio.docx"
    assert run(["scorecard", "CMIO", "--out", str(path)], *built, monkeypatch)[0] == 0
    document = docx.Document(str(path))
    scale = next(t for t in document.tables if t.rows[0].cells[0].text == "Rating")
    assert [[c.text for c in r.cells[:2]] for r in scale.rows[1:]] == [[str(a.rating), a.label] for a in ANCHORS]
    text = "\n".join(p.text for p in document.paragraphs)
    assert RECOMMENDATION in text
    assert "Generated from the knowledge base's articles" in text
    assert "[1] CMIOs in Healthcare" in text


def test_the_csv_scorecard_parses_to_one_row_per_criterion(
    built: tuple[Settings, Advisor], toolkit: Toolkit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cto.csv"
    assert run(["scorecard", "CTO", "--out", str(path)], *built, monkeypatch)[0] == 0
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    card = toolkit.scorecard("CTO")
    assert len(rows) == len(card.rows)
    assert list(rows[0]) == ["criterion", "source", "rating (1 Strong no, 2 No, 3 Yes, 4 Strong yes)", "evidence notes"]
    for row, card_row in zip(rows, card.rows, strict=True):
        assert row["criterion"] == card_row.cited
        assert row["source"].startswith(f"[{card_row.criterion.source}] ")
        assert row["rating (1 Strong no, 2 No, 3 Yes, 4 Strong yes)"] == row["evidence notes"] == ""


def test_a_csv_cell_that_starts_like_a_formula_is_inert() -> None:
    criteria = RoleCriteria(
        "CISO",
        "CISO",
        [Criterion("=HYPERLINK", "quality", '=HYPERLINK("http://example.com","x")', 1)],
        [Point("watch", 1)],
        [Source(1, "@title", "", "", "a.md")],
    )
    (row,) = list(csv.reader(io.StringIO(scorecard_csv(build_scorecard(criteria)).decode("utf-8-sig"))))[1:]
    assert row[0].startswith("'=") and not row[1].startswith(("=", "@"))


def test_the_scale_has_four_described_anchors_and_no_neutral_middle() -> None:
    assert [a.rating for a in ANCHORS] == [1, 2, 3, 4]
    assert [a.label for a in ANCHORS] == ["Strong no", "No", "Yes", "Strong yes"]
    assert len({a.description for a in ANCHORS}) == 4 and all(len(a.description) > 40 for a in ANCHORS)
    assert not any(word in a.label.lower() for a in ANCHORS for word in ("neutral", "maybe", "mixed", "unsure"))
    assert RECOMMENDATION == "Strong no / No / Yes / Strong yes"


def test_without_out_the_markdown_is_printed_with_the_scale_rows_and_recommendation(
    built: tuple[Settings, Advisor], toolkit: Toolkit, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, printed = run(["scorecard", "CTO"], *built, monkeypatch)
    assert code == 0
    rows = [line for line in printed.splitlines() if re.match(r"\| \d+ \| [A-Z]", line)]
    assert len(rows) == 4 + len(toolkit.scorecard("CTO").rows)  # the anchors and the criteria
    assert f"Circle one: {RECOMMENDATION}" in printed and "## Sources" in printed


def test_the_json_lists_rows_anchors_and_sources(
    built: tuple[Settings, Advisor], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, printed = run(["scorecard", "chief technology officer", "--json"], *built, monkeypatch)
    data = json.loads(printed)
    assert code == 0 and data["role"] == "CTO"
    assert set(data) == {"role", "rows", "anchors", "recommendation", "sources"}
    assert [a["rating"] for a in data["anchors"]] == [1, 2, 3, 4]
    numbers = {s["n"] for s in data["sources"]}
    assert data["rows"] and all(r["source"] in numbers and r["rating"] is None for r in data["rows"])


@pytest.mark.parametrize("name", ["card.pdf", "card", "missing/card.docx", "folder.docx"])
def test_a_bad_out_exits_2_with_one_line_and_writes_nothing(
    name: str,
    built: tuple[Settings, Advisor],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "folder.docx").mkdir()
    before = sorted(tmp_path.rglob("*"))
    monkeypatch.setattr(Toolkit, "scorecard", lambda *_: pytest.fail("built a scorecard for a bad --out"))
    code, printed = run(["scorecard", "CTO", "--out", str(tmp_path / name)], *built, monkeypatch)
    error = capsys.readouterr().err
    assert code == 2 and printed == ""
    assert error.startswith("error: ") and error.count("\n") == 1 and name in error
    assert sorted(tmp_path.rglob("*")) == before


def test_an_existing_file_is_replaced_whole(
    built: tuple[Settings, Advisor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "card.md"
    path.write_text("an old scorecard\n", encoding="utf-8")
    path.chmod(0o600)
    assert run(["scorecard", "CTO", "--out", str(path)], *built, monkeypatch)[0] == 0
    assert path.read_text(encoding="utf-8").startswith("# Scorecard: Chief technology officer (CTO)")
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["card.md"]


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "card.docx"
    path.write_bytes(b"the old file")

    def disk_full(_: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_atomic(path, b"the new file")
    assert path.read_bytes() == b"the old file"
    assert [p.name for p in tmp_path.iterdir()] == ["card.docx"]


def test_a_newly_added_role_gets_a_scorecard_with_no_code_change(
    make_settings: MakeSettings, kb: Path, embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    advisor = advisor_with_cnio_article(make_settings, kb, embedder, CNIO_BODY)
    try:
        card = Toolkit(advisor).scorecard("CNIO")
        path = tmp_path / "cnio.docx"
        assert run(["scorecard", "CNIO", "--out", str(path)], make_settings(), advisor, monkeypatch)[0] == 0
    finally:
        advisor.index.close()
    assert len(card.rows) >= 4
    assert {r.criterion.kind for r in card.rows} >= {"quality", "responsibility", "background"}
    assert [s.title for s in card.sources] == ["Hiring a Chief Nursing Informatics Officer"]
    table = criteria_table(path)
    assert len(table.rows) == 1 + len(card.rows)
    assert all(CITED.search(line.cells[0].text) for line in table.rows[1:])
