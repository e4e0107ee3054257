"""Malformed, hostile and weird-but-valid files (issue 6): 500+ generated files through one ingest run
and through admin upload, plus hostile upload names.

What must hold for every file: no crash; a refused file gets one specific line naming the problem
(in the ingest report and in the upload reply) and changes nothing in the live index (its version
id and the hash of its sorted (id, document hash) set); an accepted file reaches the index clean (no
NUL, control character or lone surrogate) and without hidden HTML text; the parser workers stay
within knowledge.parse_memory_mb. The generator and its decisions on weird-but-valid files are in
tests/badfiles.py.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from bot.answer.advisor import Advisor
from bot.settings import Settings, load_settings
from ingest.articles import UploadRefused, load_limits, safe_name, store
from ingest.embedding.factory import Embedder
from ingest.pipeline import Ingestor
from ingest.store.backend import make_backend
from ingest.store.index import KnowledgeIndex
from tests import badfiles
from tests.badfiles import BadFile
from tests.conftest import KNOWLEDGE, ROOT, write_config
from tests.telegram_harness import ADMIN_ID, Running, World, running

pytestmark = pytest.mark.timeout(600)

PARSE_TIMEOUT_S = 3.0
PARSE_MEMORY_MB = 384
MIME = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# Anything a reader would not see, or that breaks Chroma's full-text index or a batch: C0/C1 controls
# other than tab and newline, DEL, stray byte-order marks, and lone surrogates.
_UNCLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\ud800-\udfff]")


# ------------------------------------------------------------------------------------------ helpers


@pytest.fixture(scope="module")
def files() -> list[BadFile]:
    return badfiles.generate()


def _config(root: Path, knowledge: Path, **telegram: Any) -> Settings:
    """The shipped config with a private knowledge copy and store, and the test's parser limits."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["store"]["path"] = str(root / "store")
    data["knowledge"].update(dir=str(knowledge), parse_timeout_s=PARSE_TIMEOUT_S, parse_memory_mb=PARSE_MEMORY_MB)
    data["gate"]["questions_file"] = str(knowledge / "golden.yaml")
    # The quality gate judges retrieval, not file handling; dozens of accepted junk articles would
    # fail it by design and keep the version they are in from going live.
    data["gate"]["enabled"] = False
    data["telegram"].update(telegram)
    return load_settings(write_config(root / "config.yaml", data))


@dataclass(frozen=True)
class Snapshot:
    """The live index as the brief compares it: version id, and (id -> document hash) of its chunks."""

    version: str | None
    docs: dict[str, str]
    texts: list[str]
    metas: list[dict[str, Any]]

    @property
    def digest(self) -> str:
        """Hash of the sorted set of (id, document hash)."""
        return hashlib.sha256(repr(sorted(self.docs.items())).encode()).hexdigest()

    def restricted(self, keep: set[str]) -> dict[str, str]:
        return {i: h for i, h in self.docs.items() if i.split("#", 1)[0] in keep}


def snapshot_store(settings: Settings) -> Snapshot:
    """Read the live version from the store (own backend, closed again before the next ingest)."""
    backend = make_backend(settings)
    try:
        name = backend.live_name()
        if name is None:
            return Snapshot(None, {}, [], [])
        got = backend.open_snapshot(name).get(include=["documents", "metadatas"])  # type: ignore[list-item]
        documents = list(got["documents"] or [])
        metas = [dict(m or {}) for m in got["metadatas"] or []]
    finally:
        backend.close()
    return _snapshot(name, list(got["ids"]), documents, metas)


def snapshot_index(index: KnowledgeIndex) -> Snapshot:
    """The same through the bot's own reader (in the Telegram tests: a second backend would share its copy)."""
    hits = index.chunks()
    return _snapshot(index.version().name, [h.id for h in hits], [h.text for h in hits], [h.metadata for h in hits])


def _snapshot(name: str, ids: list[str], documents: list[str], metas: list[dict[str, Any]]) -> Snapshot:
    docs = {
        i: hashlib.sha256(d.encode("utf-8", "surrogatepass")).hexdigest() for i, d in zip(ids, documents, strict=True)
    }
    return Snapshot(name, docs, documents, metas)


def assert_clean(snap: Snapshot, files: list[BadFile]) -> None:
    """No unclean character in any stored text or metadata value, and no hidden word anywhere."""
    hidden = {word for f in files for word in f.hidden}
    for text, meta in zip(snap.texts, snap.metas, strict=True):
        values = [text, *(str(v) for v in meta.values())]
        for value in values:
            bad = _UNCLEAN.search(value)
            assert bad is None, f"{meta.get('doc_id')}: {bad.group()!r} in {value[:80]!r}"
            value.encode("utf-8")  # strict: a lone surrogate raises
        leaked = [word for word in hidden if any(word in value for value in values)]
        assert not leaked, f"hidden text of {meta.get('doc_id')} reached the index: {leaked}"


def assert_one_line(reason: str) -> None:
    assert reason and "\n" not in reason and "\r" not in reason and len(reason) < 300, reason


class PeakRss:
    """Samples this process's RSS every 10 ms in a thread: the ingest process's peak over a block."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.baseline = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.baseline) / 2**20


# ------------------------------------------------------------------------------------- the generator


def test_generator_is_deterministic_and_covers_every_kind(files: list[BadFile]) -> None:
    again = badfiles.generate()
    assert [(f.name, hashlib.sha256(f.data).hexdigest()) for f in files] == [
        (f.name, hashlib.sha256(f.data).hexdigest()) for f in again
    ]
    counts = badfiles.kinds(files)
    assert len(files) >= 500, counts
    assert set(counts) >= {
        "pdf_truncated", "pdf_random", "pdf_broken_xref", "pdf_huge_stream", "pdf_encrypted", "docx_bomb",
        "docx_overlap", "docx_nodoc", "docx_badxml", "utf8_invalid", "utf16_nobom", "nul_bytes",
        "lone_surrogates", "long_line", "html_hidden", "empty", "whitespace", "front_matter_only",
        "yaml_bad", "binary_md",
    }  # fmt: skip
    assert sum(len(f.data) >= 10 * 2**20 for f in files) >= 5  # the 10 MB single lines


# ---------------------------------------------------------------------------------- one ingest run


def test_every_bad_file_through_one_ingest(
    tmp_path: Path, embedder: Embedder, files: list[BadFile], record_property: Any
) -> None:
    """All 500+ files in the knowledge folder for one in-process ingest (the CLI's Ingestor).

    The weird-but-valid files go in first, with the shipped articles (each file is parsed once: an
    unchanged article is copied, not re-read). Then every refused file and a few bad names join
    them, and the run that sees all of them must leave the live version exactly as it was.
    """
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    settings = _config(tmp_path, knowledge)
    accepted = {f.name: f for f in files if f.accept}
    refused = {f.name: f for f in files if not f.accept}
    for f in accepted.values():
        f.write(knowledge)
    first = Ingestor(settings, embedder).run()
    assert first.status == "activated" and not first.errors, first.summary()
    assert set(first.added) == set(accepted) | {p.name for p in KNOWLEDGE.glob("*.md") if p.name != "README.md"}
    before = snapshot_store(settings)
    assert_clean(before, files)
    text_of: dict[str, str] = {}
    for text, meta in zip(before.texts, before.metas, strict=True):
        text_of[str(meta["doc_id"])] = text_of.get(str(meta["doc_id"]), "") + "\n" + text
    for name, f in accepted.items():
        missing_words = [word for word in f.visible if word not in text_of[name]]
        assert not missing_words, (name, missing_words)

    for f in refused.values():
        f.write(knowledge)
    hostile = _hostile_names_on_disk(knowledge, tmp_path / "outside")
    started = time.monotonic()
    with PeakRss() as rss:
        report = Ingestor(settings, embedder).run()
    seconds = time.monotonic() - started
    after = snapshot_store(settings)

    assert report.status == "unchanged" and sorted(report.unchanged) == sorted(first.added), report.summary()
    assert (after.version, after.digest) == (before.version, before.digest)
    errors = {e.path: e.reason for e in report.errors}
    unexpected = {name: reason for name, reason in errors.items() if name not in refused and name not in hostile}
    assert not unexpected, f"refused but expected to load: {unexpected}"
    assert not sorted(set(refused) - set(errors)), "expected to be refused, but loaded"
    wrong = {name: errors[name] for name, f in refused.items() if not re.search(f.reason, errors[name])}
    assert not wrong, f"refused for an unexpected reason: {wrong}"
    for name, reason in hostile.items():
        assert errors.get(name) == reason, (name, errors.get(name))
    for reason in errors.values():
        assert_one_line(reason)
    summary_lines = report.summary().splitlines()
    assert sum(line.startswith("ERROR ") for line in summary_lines) == len(errors)

    limit = settings.knowledge.parse_memory_mb
    peaks = {kind: max(first.parser_peak_mb.get(kind, 0), report.parser_peak_mb.get(kind, 0)) for kind in MEMORY_KINDS}
    assert all(0 < peak <= limit for peak in peaks.values()), peaks
    assert rss.growth_mb <= limit, f"the ingest process grew by {rss.growth_mb:.0f} MB"
    counts = badfiles.kinds(files)
    summary = (
        f"{len(files)} files ({len(accepted)} accepted, {len(refused)} refused) + {len(hostile)} bad names; "
        f"ingest of all {seconds:.1f} s; parser peaks {peaks} MB (limit {limit}); "
        f"ingest process +{rss.growth_mb:.0f} MB; kinds {counts}"
    )
    record_property("malformed_ingest", summary)
    print(summary)


MEMORY_KINDS = ("pdf", "docx", "html")


def _hostile_names_on_disk(knowledge: Path, outside: Path) -> dict[str, str]:
    """Files put straight into the folder (not uploaded) whose names cannot become article ids."""
    outside.mkdir()
    secret = outside / "secret-notes.md"
    secret.write_text("# Private\n\nPRIVATE_NOTES_TEXT about the CTO.\n", encoding="utf-8")
    body = b"# Title\n\nA valid CTO article body.\n"
    (knowledge / "linked-secret.md").symlink_to(secret)
    (knowledge / "dangling.md").symlink_to(outside / "missing.md")  # not a file: skipped silently
    raw = os.fsencode(knowledge) + b"/latin1-caf\xe9.md"
    with open(raw, "wb") as handle:
        handle.write(body)
    (knowledge / "new\nline.md").write_bytes(body)
    (knowledge / "report\u202egpj.md").write_bytes(body)
    link = "a symbolic link to a file outside the knowledge folder; copy the file in instead"
    direction = "file name contains control or text-direction characters; rename the file"
    return {
        "linked-secret.md": link,
        "latin1-caf\\xe9.md": "file name is not valid UTF-8; rename the file",
        "new\\u000aline.md": direction,
        "report\\u202egpj.md": direction,
    }


# ------------------------------------------------------------------------------------- admin upload


def _make_world(root: Path, embedder: Embedder) -> World:
    shutil.copytree(KNOWLEDGE, root / "knowledge")
    settings = _config(root, root / "knowledge", admin_ids=[ADMIN_ID], stream_edit_interval_s=0.05)
    report = Ingestor(settings, embedder).run()
    assert report.status == "activated", report.summary()
    return World(root, settings, Advisor(settings, KnowledgeIndex(settings, embedder)))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[World]:
    w = _make_world(tmp_path_factory.mktemp("malformed"), embedder)
    yield w
    w.advisor.index.close()


@pytest.fixture
async def bot(world: World, tmp_path: Path) -> Iterator[Running]:
    async with running(world, tmp_path / "state.sqlite3") as r:
        yield r


def _outside_files(world: World) -> list[tuple[str, str]]:
    """Every file under the world's root except the knowledge folder and the store, with its content hash."""
    out = []
    for path in world.root.rglob("*"):
        rel = path.relative_to(world.root)
        if rel.parts[0] in ("knowledge", "store") or not path.is_file():
            continue
        out.append((rel.as_posix(), hashlib.sha256(path.read_bytes()).hexdigest()))
    return sorted(out)


def _upload_temp_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("hiring-advisor-upload-*")}


async def upload_all(bot: Running, world: World, chosen: list[BadFile]) -> dict[str, Any]:
    """Send each file as the admin; check the reply and the live index after each one."""
    emu = bot.emu
    admin = emu.user(id=ADMIN_ID, first_name="Admin")
    chat = emu.private_chat(admin)
    outside, temps = _outside_files(world), _upload_temp_dirs()
    stats: dict[str, Any] = {"refused": 0, "accepted": 0, "seconds": 0.0}
    started = time.monotonic()
    for f in chosen:
        before = snapshot_index(world.advisor.index)
        listing = sorted(p.name for p in world.knowledge.iterdir())
        send = lambda f=f: emu.send_document(chat, admin, f.name, f.data, MIME[Path(f.name).suffix])  # noqa: E731
        reply = (await bot.reply(chat, send))[0]["text"]
        after = snapshot_index(world.advisor.index)
        if f.accept:
            stats["accepted"] += 1
            match = re.match(r"Added as (\S+)\.", reply)
            assert match and "is live" in reply, (f.name, reply)
            assert after.version != before.version
            assert after.restricted(set(listing)) == before.docs
            assert_clean(after, chosen)
        else:
            stats["refused"] += 1
            assert reply.startswith("Not added: "), (f.name, reply)
            reason = reply.removeprefix("Not added: ")
            assert_one_line(reason)
            assert re.search(f.reason, reason), (f.name, reason)
            assert (after.version, after.digest) == (before.version, before.digest), f.name
            assert sorted(p.name for p in world.knowledge.iterdir()) == listing, f.name
    stats["seconds"] = round(time.monotonic() - started, 1)
    assert _outside_files(world) == outside
    assert _upload_temp_dirs() <= temps
    return stats


async def test_representative_bad_uploads_are_refused_clearly(
    bot: Running, world: World, files: list[BadFile], record_property: Any
) -> None:
    """One or two refused files of every kind, and a few accepted ones, through the emulator."""
    chosen = badfiles.sample(files, per_kind=2, accepted=2)
    stats = await upload_all(bot, world, chosen)
    kinds = {f.kind for f in chosen}
    assert kinds >= {f.kind for f in files if f.data and not f.accept}, kinds  # every kind that has refusals
    assert len(chosen) >= 60, len(chosen)
    record_property("malformed_upload", stats)
    print(f"uploads: {len(chosen)} files, {len(kinds)} kinds: {stats}")


@pytest.mark.stress
@pytest.mark.timeout(3600)
async def test_every_bad_file_through_admin_upload(
    bot: Running, world: World, files: list[BadFile], record_property: Any
) -> None:
    """The long form: every generated file (empty ones aside: Telegram refuses them) via upload."""
    chosen = [f for f in files if f.data]
    stats = await upload_all(bot, world, chosen)
    record_property("malformed_upload_all", stats)
    print(f"uploads: {len(chosen)} files: {stats}")


# --------------------------------------------------------------------------------- hostile names

_BODY = b"# A note\n\nA CTO candidate note about infrastructure leadership and cloud strategy.\n"
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
        saved = safe_name(name, _BODY)
    except UploadRefused as exc:
        assert "unsupported format" in exc.reason
        saved = None
    if saved is not None:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*-[0-9a-f]{8}\.(md|txt|pdf|docx|html)", saved) and len(saved) <= 80
        path = store(knowledge, saved, _BODY, load_limits(_settings_stub(knowledge)))
        assert path.parent == knowledge.resolve() and path.read_bytes() == _BODY
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
        body = _BODY + b"%d\n" % i
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


async def test_hostile_names_and_a_planted_link_through_the_bot(bot: Running, world: World) -> None:
    """The same through the emulator: a name with a path and an RTL override, and a planted link."""
    emu = bot.emu
    admin = emu.user(id=ADMIN_ID, first_name="Admin")
    chat = emu.private_chat(admin)
    outside = _outside_files(world)
    escape = world.root / "escape-target.md"
    body = _BODY + b"planted\n"
    planted = world.knowledge / safe_name("x.md", body)
    planted.symlink_to(escape)  # dangling: store must not create escape-target.md through it
    try:
        reply = await bot.reply(chat, lambda: emu.send_document(chat, admin, "..\\../x.md", body, "text/markdown"))
        assert reply[0]["text"] == f"Not added: {planted.name} is already in the knowledge base", reply
        assert not escape.exists()
    finally:
        planted.unlink()
    name = "../../\u202eevil\x00" + "n" * 5000 + ".md"
    added = (await bot.reply(chat, lambda: emu.send_document(chat, admin, name, _BODY, "text/markdown")))[0]["text"]
    match = re.match(r"Added as (\S+)\.", added)
    assert match and re.fullmatch(r"evil-?n+-[0-9a-f]{8}\.md", match.group(1)) and len(match.group(1)) <= 80, added
    assert (world.knowledge / match.group(1)).is_file()
    assert _outside_files(world) == outside
