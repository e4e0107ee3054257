"""The one service for knowledge changes, from the command line: `python -m ingest add|remove`.

The chat's admin commands call the same service (tests/test_telegram.py, tests/test_outage_chroma_server.py); here
the CLI's own contract: what is printed, the JSON, the exit codes, and the undo when a change fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest import cli
from ingest.embedding.factory import Embedder
from ingest.errors import EXIT_PARTIAL, EXIT_QUALITY, EXIT_USAGE
from ingest.pipeline import Ingestor
from tests.conftest import MakeSettings

CNIO = (
    "---\ntitle: CNIO notes\nroles: [CNIO]\n---\n# CNIO\n\n"
    "A chief nursing informatics officer bridges nursing and clinical systems.\n"
)


def run(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str]:
    code = cli.main([*args, "--config", str(config), "--no-progress"])
    return code, capsys.readouterr().out


@pytest.fixture
def config(make_settings: MakeSettings, embedder: Embedder) -> Path:
    """An ingested copy of the shipped articles, gate off; its config.yaml."""
    settings = make_settings(gate={"enabled": False})
    Ingestor(settings, embedder).run()
    return settings.config_dir / "config.yaml"


def test_add_then_remove_a_file(config: Path, kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "CNIO Notes.md"
    source.write_text(CNIO, encoding="utf-8")

    code, out = run(capsys, config, "add", str(source), "--json")
    added = json.loads(out)
    assert code == 0 and added["done"] and added["ingest"]["status"] == "activated", out
    name = added["article"]
    assert name.startswith("cnio-notes-") and (kb / name).read_text(encoding="utf-8") == CNIO
    assert added["ingest"]["added"] == [name]

    code, out = run(capsys, config, "remove", name)
    assert code == 0 and out.startswith(f"Removed {name}.") and "1 removed" in out, out
    assert not (kb / name).exists()


def test_refusals_change_nothing(config: Path, kb: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.name for p in kb.iterdir())
    bad = tmp_path / "notes.exe"
    bad.write_bytes(b"MZ")
    empty = tmp_path / "empty.md"
    empty.write_text("", encoding="utf-8")

    assert run(capsys, config, "add", str(bad))[0] == EXIT_PARTIAL
    code, out = run(capsys, config, "add", str(empty))
    assert code == EXIT_PARTIAL and out.startswith("Not added: "), out
    assert run(capsys, config, "add", str(tmp_path / "missing.md"))[0] == EXIT_PARTIAL
    code, out = run(capsys, config, "remove", "../config.yaml")
    assert code == EXIT_USAGE and out.startswith("Not removed: "), out
    assert cli.main(["add", "--config", str(config)]) == EXIT_USAGE  # no PATH
    assert sorted(p.name for p in kb.iterdir()) == before


def test_a_change_the_gate_refuses_is_undone(
    make_settings: MakeSettings, embedder: Embedder, kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Removing the CTO article fails the golden questions: the file comes back, the live version stays."""
    settings = make_settings()
    live = Ingestor(settings, embedder).run().version
    config = settings.config_dir / "config.yaml"
    code, out = run(capsys, config, "remove", "cto-role-bonnie-siegel.md", "--json")
    refused = json.loads(out)
    assert code == EXIT_QUALITY and not refused["done"] and refused["ingest"]["status"] == "gate_failed", out
    assert (kb / "cto-role-bonnie-siegel.md").is_file()
    assert not [p for p in kb.iterdir() if p.name.startswith(".")]  # no hidden leftover
    assert Ingestor(settings, embedder).run().version == live  # nothing changed
