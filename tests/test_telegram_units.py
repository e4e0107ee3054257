"""The Telegram front end's parts that need no running bot: HTML rendering and splitting (their hypothesis
properties are in test_render_properties.py), safe upload names, and per-conversation ordering."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from telegram import Update

from bot.answer.types import Answer, Point, Source
from bot.telegram.ordering import ChatOrderedProcessor
from bot.telegram.render import MAX_MESSAGE, answer_doc, doc_text, to_messages, utf16_len
from ingest.articles import UploadRefused, safe_name, store
from ingest.loaders.documents import LoadLimits
from tests.emulator import parse_html
from tests.telegram_harness import HOSTILE_NAMES, SAFE_NAME

# ------------------------------------------------------------------------------------------ unit: render


def test_answer_html_escapes_everything_and_links_only_http_sources() -> None:
    answer = Answer(
        question="q",
        resolved_question="q",
        lead="Lead <b>&",
        points=[Point("Point with <i>tags</i> & ampersands", 1), Point("Second point", 2)],
        sources=[
            Source(1, "Title <script>", "A & B", "Pub", "a.md", "https://example.org/a?x=1&y=<2>"),
            Source(2, "No link", "", "", "b.md", "javascript:alert(1)"),
        ],
        in_scope=True,
        text="unused",
    )
    (html_text,) = to_messages(answer_doc(answer))
    plain, entities = parse_html(html_text, strict_ampersand=True)
    assert "Lead <b>&" in plain and "Point with <i>tags</i> & ampersands [1]" in plain
    assert "[1] Title <script> — A & B, Pub" in plain and "[2] No link" in plain
    links = [e for e in entities if e["type"] == "text_link"]
    assert len(links) == 1 and links[0]["url"].startswith("https://example.org/a?x=1&y=")
    assert "javascript" not in html_text


# The splitting and escaping properties (hypothesis) are in tests/test_render_properties.py.


def test_a_long_answer_splits_at_4096_and_keeps_every_character() -> None:
    points = [Point(f"Point {i} " + "😀 long sentence with <tags> & entities. " * 12, i % 3 + 1) for i in range(40)]
    sources = [Source(n, f"Title {n}", "Author", "Pub", f"{n}.md") for n in (1, 2, 3)]
    answer = Answer("q", "q", "Lead", points, sources, True, "")
    doc = answer_doc(answer)
    messages = to_messages(doc)
    assert len(messages) >= 3
    plains = [parse_html(m, strict_ampersand=True)[0] for m in messages]
    assert all(utf16_len(p) <= MAX_MESSAGE for p in plains)
    assert "".join(p.replace("\n", "") for p in plains) == doc_text(doc).replace("\n", "")


# ------------------------------------------------------------------------------------------ unit: uploads


def test_safe_names_for_hostile_file_names(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    for name in HOSTILE_NAMES:
        safe = safe_name(name, name.encode("utf-8", "surrogatepass"))
        assert SAFE_NAME.match(safe) and len(safe) <= 80, safe
        path = store(kb, safe, b"# Title\n\nSome text about a CTO role.\n", LoadLimits())
        assert path.parent == kb.resolve()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(p.name for p in kb.iterdir())
    assert safe_name("Résumé Guide.MARKDOWN", b"x").endswith(".md")
    for bad in ("evil.exe", "noext", "x.md.exe", ""):
        with pytest.raises(UploadRefused, match="unsupported format"):
            safe_name(bad, b"x")
    safe = safe_name("dup.md", b"# T\n\ntext\n")
    store(kb, safe, b"# T\n\ntext\n", LoadLimits())
    with pytest.raises(UploadRefused, match="already in the knowledge base"):
        store(kb, safe, b"# T\n\ntext\n", LoadLimits())


# ------------------------------------------------------------------------------------------ unit: ordering


async def test_updates_of_one_conversation_run_in_order_others_concurrently() -> None:
    processor = ChatOrderedProcessor(max_active=8)
    await processor.initialize()
    events: list[str] = []

    def update(chat_id: int, update_id: int) -> Update:
        chat = {"id": chat_id, "type": "private", "first_name": "x"}
        message = {"message_id": update_id, "date": 0, "chat": chat, "text": "t"}
        parsed = Update.de_json({"update_id": update_id, "message": message}, None)
        assert parsed is not None
        return parsed

    async def work(name: str, delay: float) -> None:
        events.append(f"start {name}")
        await asyncio.sleep(delay)
        events.append(f"end {name}")

    await asyncio.gather(
        processor.process_update(update(1, 1), work("a1", 0.05)),
        processor.process_update(update(1, 2), work("a2", 0.0)),
        processor.process_update(update(2, 3), work("b1", 0.0)),
    )
    assert events.index("end a1") < events.index("start a2")  # same chat: strictly in order
    assert events.index("end b1") < events.index("end a1")  # another chat did not wait
    await processor.shutdown()
