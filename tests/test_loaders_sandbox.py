"""The parsing sandbox: a PDF or HTML parser runs in a child process that is killed at its deadline or
memory limit, leaves no process behind, and never sees the bot's secrets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ingest.loaders import protocol, sandbox
from ingest.loaders.documents import LoadLimits, load_document
from tests.loader_fixtures import (
    assert_gone,
    load_error,
    pdf_bytes,
    spawned_fixture,  # noqa: F401
    write,
)


def test_pdf_tiny_timeout(tmp_path: Path, spawned: list[subprocess.Popen[bytes]]) -> None:
    path = write(tmp_path, "ok.pdf", pdf_bytes(["Hello"]))
    assert load_error(path, LoadLimits(parse_timeout_s=0.001)) == "PDF parsing took longer than 0.001 s"
    assert len(spawned) == 1
    assert_gone(spawned[0])


def test_pdf_that_hangs_pypdf_is_killed(tmp_path: Path, spawned: list[subprocess.Popen[bytes]]) -> None:
    """70 MB of compressed whitespace: a 70 KB file that keeps pypdf busy for well over 20 s."""
    path = write(tmp_path, "slow.pdf", pdf_bytes(["Bomb"], pad=70_000_000))
    assert load_error(path, LoadLimits(parse_timeout_s=1.5)) == "PDF parsing took longer than 1.5 s"
    assert_gone(spawned[0])


def test_pdf_memory_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "big.pdf", pdf_bytes(["Bomb"], pad=70_000_000))
    reason = load_error(path, LoadLimits(parse_memory_mb=100))
    assert reason == "PDF parsing exceeded the 100 MB memory limit"


def test_sandbox_kills_a_child_that_ignores_the_deadline(
    monkeypatch: pytest.MonkeyPatch, spawned: list[subprocess.Popen[bytes]]
) -> None:
    monkeypatch.setattr(sandbox, "child_command", lambda *args: [sys.executable, "-c", "import time; time.sleep(60)"])
    with pytest.raises(protocol.SandboxError) as info:
        sandbox.run_parser("pdf", b"%PDF-", timeout_s=0.5, memory_mb=256, max_chars=1000)
    assert info.value.kind == "timeout"
    assert_gone(spawned[0])


def test_sandbox_child_gets_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret")
    assert "TELEGRAM_BOT_TOKEN" not in protocol.child_env()


def test_html_is_parsed_in_a_child_that_is_killed_at_the_deadline(
    tmp_path: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    """BeautifulSoup takes seconds per MB: a hostile page meets the same time limit as a PDF."""
    assert load_document(write(tmp_path, "ok.html", "<p>Hello CTO</p>")).text == "Hello CTO"
    assert len(spawned) == 1
    slow = write(tmp_path, "slow.html", "<body>" + "<b>x</b>" * 400_000 + "</body>")
    assert load_error(slow, LoadLimits(parse_timeout_s=0.5)) == "HTML parsing took longer than 0.5 s"
    assert_gone(spawned[1])


def test_html_memory_limit(tmp_path: Path) -> None:
    page = write(tmp_path, "tree.html", "<body>" + "<p>x</p>" * 200_000 + "</body>")
    assert load_error(page, LoadLimits(parse_memory_mb=64)) == "HTML parsing exceeded the 64 MB memory limit"
