"""What the bot does with an upload's file name, checked on disk: safe_name and store never write outside the
knowledge folder, whatever the name (paths, NULs, text-direction marks, reserved names), nor through a link
planted under the name they generate.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from bot.settings import Settings
from ingest.articles import UploadRefused, load_limits, safe_name, store
from tests.malformed_checks import NOTE_BODY

pytestmark = pytest.mark.timeout(600)

HOSTILE_NAMES = [
    "../../etc/passwd.md",
    "../outside.md",
    "/etc/cron.d/evil.md",
    "/tmp/absolute.txt",
    "..\\..\\windows\\win.md",
    "C:\\Windows\\System32\\drivers.md",
    "a\x00b.md",
    "evil.md\x00.exe",
    "report\u202egpj.md",
    "invoice\u202efdp.exe",
    "n" * 10_000 + ".md",
    ".",
    "..",
    "...",
    "CON",
    "CON.md",
    "nul.txt",
    "LPT1.md",
    "-rf.md",
    "--help.md",
    "-.md",
    ".md",
    ".hidden.md",
    "cto-role-bonnie-siegel.md",
    "knowledge/../../escape.md",
    "x.md/",
    "line\nbreak.md",
    "%2e%2e%2fencoded.md",
    "~/.bashrc.md",
    "$(touch pwned).md",
    "*.md",
    " .md",
    "\u200b.md",
    "résumé.MD",
    "",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda n: repr(n[:30]))
def test_hostile_upload_names_never_write_outside_the_knowledge_folder(tmp_path: Path, name: str) -> None:
    """What the bot does with a sender's file name (safe_name, then store), checked on disk."""
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    existing = knowledge / "cto-role-bonnie-siegel.md"
    existing.write_bytes(b"# Existing\n\nThe existing CTO article.\n")
    outside_dir = tmp_path / "outside"
    outside_dir.mkdir()
    (knowledge / "subdir").symlink_to(outside_dir, target_is_directory=True)
    before = _tree(tmp_path, knowledge)
    try:
        saved = safe_name(name, NOTE_BODY)
    except UploadRefused as exc:
        assert "unsupported format" in exc.reason
        saved = None
    if saved is not None:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*-[0-9a-f]{8}\.(md|txt|pdf|docx|html)", saved) and len(saved) <= 80
        path = store(knowledge, saved, NOTE_BODY, load_limits(_settings_stub(knowledge)))
        assert path.parent == knowledge.resolve() and path.read_bytes() == NOTE_BODY
    assert _tree(tmp_path, knowledge) == before  # nothing outside changed, through the symlink either
    assert existing.read_bytes() == b"# Existing\n\nThe existing CTO article.\n"


def test_symlink_tricks_in_the_knowledge_folder(tmp_path: Path) -> None:
    """A link planted under the exact name the bot will generate is never written through."""
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "target.md"
    target.write_bytes(b"original")
    limits = load_limits(_settings_stub(knowledge))
    for i, points_to in enumerate([target, outside / "created-through-link.md"]):
        body = NOTE_BODY + b"%d\n" % i
        name = safe_name("../planted.md", body)
        (knowledge / name).symlink_to(points_to)
        with pytest.raises(UploadRefused, match="already in the knowledge base"):
            store(knowledge, name, body, limits)
    assert target.read_bytes() == b"original"
    assert sorted(p.name for p in outside.iterdir()) == ["target.md"]
    assert not [p for p in knowledge.iterdir() if p.name.startswith(".upload-")]


def _settings_stub(knowledge: Path) -> Settings:
    return Settings.model_validate({"knowledge": {"dir": str(knowledge)}})


def _tree(root: Path, knowledge: Path) -> list[tuple[str, str]]:
    """Files under root outside the knowledge folder (not following links), with content hashes."""
    out = []
    for dirpath, _, filenames in os.walk(root):
        folder = Path(dirpath)
        if folder == knowledge or knowledge in folder.parents:
            continue
        for filename in filenames:
            path = folder / filename
            out.append((path.relative_to(root).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest()))
    return sorted(out)
