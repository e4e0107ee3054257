"""Putting files into knowledge.dir safely, and taking them out again.

A sender chooses `Document.file_name` (and a web server the URL path), so a name is never used as a
path: only its last component's extension survives (from an allow-list), the stem is slugged to
[a-z0-9-], and a short content hash makes the name unique. A file is parsed on a temporary copy
before it is kept, and lands in the folder with a no-clobber link, so the ingest never sees half a
file and an existing article is never overwritten. Blocking: call these via asyncio.to_thread.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
from pathlib import Path

from ingest.loaders.documents import SUPPORTED_SUFFIXES, LoadError, LoadLimits, load_document
from ingest.settings import Settings

_MB = 1024 * 1024
TELEGRAM_DOWNLOAD_LIMIT = 20 * _MB
"""Bot API downloads stop at 20 MB."""

SUFFIXES: dict[str, str] = {
    ".md": ".md",
    ".markdown": ".md",
    ".txt": ".txt",
    ".pdf": ".pdf",
    ".docx": ".docx",
    ".html": ".html",
    ".htm": ".html",
}
"""Accepted extensions and the one each is saved with; all of them are formats the loaders read."""
assert set(SUFFIXES) <= SUPPORTED_SUFFIXES

MAX_STEM_CHARS = 60
_HIDDEN_PREFIX = ".removing-"


class UploadRefused(Exception):  # noqa: N818 - read as "the upload was refused"
    """The file is not kept; `reason` is one line for the admin."""

    def __init__(self, reason: str) -> None:
        self.reason = " ".join(reason.split())
        super().__init__(self.reason)


def load_limits(settings: Settings) -> LoadLimits:
    """The same limits the ingest applies, so a file that validates here also ingests."""
    return LoadLimits(
        max_bytes=max_upload_bytes(settings),
        parse_timeout_s=settings.knowledge.parse_timeout_s,
        parse_memory_mb=settings.knowledge.parse_memory_mb,
    )


def max_upload_bytes(settings: Settings) -> int:
    """The smaller of Telegram's download limit and knowledge.max_file_mb."""
    return min(TELEGRAM_DOWNLOAD_LIMIT, int(settings.knowledge.max_file_mb * _MB))


def _last_component(name: str) -> str:
    """Drop any directory part, whichever separator the sender's system uses."""
    return re.split(r"[\\/]", name)[-1]


def _printable(text: str) -> str:
    """Without NUL, control and format characters (RTL overrides, zero-width joiners...)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isprintable())


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def suffix_of(name: str) -> str:
    """The saved extension for a sender's file name, or UploadRefused for any other format."""
    base = _printable(_last_component(name))
    _, dot, ext = base.rpartition(".")
    suffix = SUFFIXES.get(f".{ext.lower()}") if dot else None
    if suffix is None:
        raise UploadRefused("unsupported format; send a .md, .txt, .pdf, .docx or .html file")
    return suffix


def safe_name(name: str, data: bytes) -> str:
    """'<slug>-<hash8><ext>': only [a-z0-9-] and an allowed extension, whatever the sender wrote."""
    suffix = suffix_of(name)
    base = _printable(_last_component(name))
    stem = base.rpartition(".")[0]
    slug = slugify(stem)[:MAX_STEM_CHARS].strip("-") or "article"
    return f"{slug}-{hashlib.sha256(data).hexdigest()[:8]}{suffix}"


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*\.(md|txt|pdf|docx|html)", name):
        raise ValueError(f"not a safe generated file name: {name!r}")


def validate(name: str, data: bytes, limits: LoadLimits) -> None:
    """Parse the file on a temporary copy outside the knowledge folder; LoadError's reason if it fails."""
    _check_name(name)
    with tempfile.TemporaryDirectory(prefix="hiring-advisor-upload-") as folder:
        probe = Path(folder) / name
        probe.write_bytes(data)
        try:
            load_document(probe, limits)
        except LoadError as exc:
            raise UploadRefused(exc.reason) from None


def store(knowledge_dir: Path, name: str, data: bytes, limits: LoadLimits) -> Path:
    """Validate, then place the file at knowledge_dir/name; refuses to replace an existing file."""
    _check_name(name)
    validate(name, data, limits)
    root = knowledge_dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    target = root / name
    if target.exists():
        raise UploadRefused(f"{name} is already in the knowledge base")
    staging = root / f".upload-{secrets.token_hex(8)}.tmp"  # hidden: the ingest skips dot files
    try:
        with open(staging, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(staging, target)  # atomic and never overwrites
        except FileExistsError:
            raise UploadRefused(f"{name} is already in the knowledge base") from None
    finally:
        staging.unlink(missing_ok=True)
    return target


def article_path(knowledge_dir: Path, doc_id: str) -> Path:
    """The file of an article id, only if it really is a file inside knowledge_dir."""
    root = knowledge_dir.resolve()
    if not doc_id or "\x00" in doc_id:
        raise UploadRefused("not an article id")
    path = (root / doc_id).resolve()
    if not path.is_relative_to(root) or path == root or not path.is_file():
        raise UploadRefused(f"{doc_id} is not a file in the knowledge folder")
    return path


def hide(path: Path) -> Path:
    """Move an article out of the ingest's sight (a dot name) so a failed ingest can put it back."""
    hidden = path.with_name(f"{_HIDDEN_PREFIX}{secrets.token_hex(4)}-{path.name}")
    path.rename(hidden)
    return hidden


def unhide(hidden: Path, original: Path) -> None:
    """Put a hidden article back (no-clobber), after an ingest that could not run."""
    os.link(hidden, original)
    hidden.unlink()
