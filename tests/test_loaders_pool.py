"""The parser pool: warm processes that fork a worker per file give the same results as the sandbox,
enforce the same limits, and leave no process behind."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from ingest.loaders.documents import LoadError, LoadLimits, load_document
from ingest.loaders.pool import ParserPool
from tests.loader_fixtures import HTML_PAGE, docx_bytes, load_error, pdf_bytes, sample_docx, write


def _children() -> list[psutil.Process]:
    return psutil.Process().children(recursive=True)


def test_pool_gives_the_same_results_and_leaves_no_process(tmp_path: Path) -> None:
    """One warm process per format forks a worker per file; closing the pool ends them all."""
    paths = [
        write(tmp_path, "a.pdf", pdf_bytes(["First PDF"], info={"Title": "T1"})),
        write(tmp_path, "b.pdf", pdf_bytes(["Second PDF"])),
        write(tmp_path, "c.docx", docx_bytes(sample_docx)),
        write(tmp_path, "d.html", HTML_PAGE),
        write(tmp_path, "e.md", "# Markdown\n\nNo child for this one.\n"),
    ]
    before = {p.pid for p in _children()}
    with ParserPool() as pool:
        for path in paths:
            assert load_document(path, pool=pool) == load_document(path)
        servers = [p for p in _children() if p.pid not in before]
        assert len(servers) == 3  # pdf, docx and html: one each, reused
        assert set(pool.peak_rss_kb) == {"pdf", "docx", "html"}
        assert all(0 < kb < 1024 * 1024 for kb in pool.peak_rss_kb.values())
    assert not [p for p in _children() if p.pid not in before and p.is_running() and p.status() != "zombie"]


def test_pool_kills_a_slow_worker_and_keeps_serving(tmp_path: Path) -> None:
    slow = write(tmp_path, "slow.pdf", pdf_bytes(["Bomb"], pad=70_000_000))
    ok = write(tmp_path, "ok.pdf", pdf_bytes(["Still fine"]))
    with ParserPool() as pool:
        assert load_error(slow, LoadLimits(parse_timeout_s=1.5)) == "PDF parsing took longer than 1.5 s"
        with pytest.raises(LoadError, match=r"^PDF parsing took longer than 1.5 s$"):
            load_document(slow, LoadLimits(parse_timeout_s=1.5), pool=pool)
        assert load_document(ok, pool=pool).text == "Still fine"
        # A pool process killed from outside is replaced on the next file.
        for child in _children():
            if "serve" in child.cmdline():
                child.kill()
                child.wait(5)
        assert load_document(ok, pool=pool).text == "Still fine"


def test_pool_memory_limit_and_peak(tmp_path: Path) -> None:
    """The worker's peak RSS (from wait4) stays under the address-space limit it was given."""
    slow = write(tmp_path, "big.pdf", pdf_bytes(["Bomb"], pad=70_000_000))
    assert load_error(slow, LoadLimits(parse_memory_mb=100)) == "PDF parsing exceeded the 100 MB memory limit"
    with ParserPool() as pool:
        with pytest.raises(LoadError, match=r"^PDF parsing exceeded the 100 MB memory limit$"):
            load_document(slow, LoadLimits(parse_memory_mb=100), pool=pool)
        assert 0 < pool.peak_rss_kb["pdf"] <= 100 * 1024


def test_pool_worker_gets_no_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret")
    with ParserPool() as pool:
        load_document(write(tmp_path, "a.html", "<p>x1</p>"), pool=pool)
        server = next(p for p in _children() if "serve" in p.cmdline())
        assert "TELEGRAM_BOT_TOKEN" not in server.environ()
