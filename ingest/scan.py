"""Which files under knowledge.dir are articles, and which names are refused before anything is read."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from ingest.loaders.documents import SUPPORTED_SUFFIXES
from ingest.report import FileError
from ingest.settings import Settings


@dataclass(frozen=True)
class SourceFile:
    doc_id: str
    path: Path
    file_hash: str


# Bidirectional embeddings, overrides and isolates: in a file name they make "evil\u202egpj.md"
# look like "evilmd.jpg" wherever the article id is shown.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def display_name(name: str) -> str:
    """A file name safe to print on one line: undecodable bytes and control characters escaped."""
    out = []
    for char in name:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as os.fsdecode's surrogateescape keeps it
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_CONTROLS:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def name_problem(rel: str) -> str | None:
    """Why a file name cannot be an article id, or None.

    The id is stored in Chroma (ids and metadata must be valid UTF-8: one bad id aborts the whole
    write) and shown to admins and users on one line.
    """
    if any(0xD800 <= ord(char) <= 0xDFFF for char in rel):
        return "file name is not valid UTF-8; rename the file"
    if any(unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS for char in rel):
        return "file name contains control or text-direction characters; rename the file"
    return None


def _real(path: Path, real_dirs: dict[Path, Path]) -> Path:
    """Where `path` really is: a file that is no link is its folder's real path plus its name, and each
    folder is resolved once (resolving every one of 3,000 files was a quarter of the scan)."""
    if path.is_symlink():
        return path.resolve()
    parent = real_dirs.get(path.parent)
    if parent is None:
        parent = real_dirs[path.parent] = path.parent.resolve()
    return parent / path.name


def scan(settings: Settings) -> tuple[list[SourceFile], list[str], list[FileError]]:
    """Articles under knowledge.dir (supported formats, not excluded, not hidden), skipped files, and
    files refused before reading (bad names, links to files outside the folder)."""
    root = settings.knowledge.dir
    if not root.is_dir():
        return [], [], []
    real_root = root.resolve()
    real_dirs: dict[Path, Path] = {}
    files: list[SourceFile] = []
    skipped: list[str] = []
    refused: list[FileError] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if any(fnmatch(rel, pat) or fnmatch(path.name, pat) for pat in settings.knowledge.exclude):
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(display_name(rel))
            continue
        problem = name_problem(rel)
        if problem is None and not _real(path, real_dirs).is_relative_to(real_root):
            # A link to, say, ~/.ssh/notes.txt would put that file's text in the index.
            problem = "a symbolic link to a file outside the knowledge folder; copy the file in instead"
        if problem is not None:
            refused.append(FileError(display_name(rel), problem))
            continue
        size = path.stat().st_size
        if size > settings.knowledge.max_file_mb * 1024 * 1024:
            # The loader refuses it without reading it; hashing gigabytes first would be wasted.
            files.append(SourceFile(rel, path, f"oversized-{size}"))
            continue
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        except OSError:
            # Still an article: its load fails with a clear reason, and its live chunks are kept.
            files.append(SourceFile(rel, path, "unreadable"))
            continue
        files.append(SourceFile(rel, path, digest.hexdigest()))
    return files, skipped, refused
