"""Turn an uploaded knowledge-base file into clean Markdown-ish text plus the metadata it declares.

Files come from admins over Telegram, so every input is untrusted: sizes are checked
before reading (ingest.loaders.limits), text encodings are never guessed (decoding), PDF, DOCX and
HTML parsing runs in a resource-limited child process (sandbox, pool; Markdown and plain text are
only decoded and cleaned, in-process, front matter by frontmatter), and every failure becomes a
LoadError whose one-line reason an admin can act on. Whatever is accepted is cleaned (cleaning):
no NUL, control character or lone surrogate reaches the store, in the text or in the metadata.
This module picks the loader by format and puts those pieces together.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath

from ingest.loaders.cleaning import clean_meta_string, clean_text, has_words
from ingest.loaders.decoding import decode_text
from ingest.loaders.errors import LoadError
from ingest.loaders.frontmatter import split_front_matter
from ingest.loaders.limits import LoadLimits, check_docx_archive, check_size, read_bytes
from ingest.loaders.pool import ParserPool
from ingest.loaders.protocol import Block, ParserKind, SandboxError, SandboxResult
from ingest.loaders.sandbox import run_parser

# The loading API, importable from here whichever module holds each piece.
__all__ = [
    "SUPPORTED_SUFFIXES",
    "LoadError",
    "LoadLimits",
    "LoadedDocument",
    "clean_text",
    "load_bytes",
    "load_document",
]

logger = logging.getLogger(__name__)

# Frozen, so one shared default is safe.
_DEFAULT_LIMITS = LoadLimits()

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx"})


@dataclass(frozen=True)
class LoadedDocument:
    """A file's text as Markdown-ish paragraphs, its self-declared metadata and its format."""

    text: str
    meta: dict[str, object]
    format: str


# ------------------------------------------------------------------------------ entry point


def load_document(
    path: Path, limits: LoadLimits = _DEFAULT_LIMITS, *, pool: ParserPool | None = None
) -> LoadedDocument:
    """Load one file by its suffix; raise LoadError (only) for anything that can't be ingested.

    pool: parse PDF/DOCX/HTML in this pool's warm processes (a batch of files) instead of a
    one-shot child per file.
    """
    loader = _loader_for(path.suffix.lower())
    data = read_bytes(path, limits.max_bytes)
    return loader(data, _Context(limits, pool))


def load_bytes(data: bytes, name: str, limits: LoadLimits = _DEFAULT_LIMITS) -> LoadedDocument:
    """Load a file held in memory, by the suffix of its `name`, under the same limits and sandbox as a
    file on disk; nothing is written anywhere (a CV checked by bot.toolkit.screen is never stored)."""
    loader = _loader_for(PurePath(name).suffix.lower())
    check_size(len(data), limits.max_bytes)
    if not data:
        raise LoadError("file is empty")
    return loader(data, _Context(limits, None))


def _loader_for(suffix: str) -> Callable[[bytes, _Context], LoadedDocument]:
    loader = _LOADERS.get(suffix)
    if loader is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        shown = f"unsupported format '{suffix}'" if suffix else "file has no extension"
        raise LoadError(f"{shown}; supported: {supported}")
    return loader


@dataclass(frozen=True)
class _Context:
    """What every per-format loader needs besides the bytes: the limits and the warm pool, if any."""

    limits: LoadLimits
    pool: ParserPool | None


# ------------------------------------------------------------------------------ finishing


def _finish(text: str, meta: dict[str, object], fmt: str, limits: LoadLimits, cleaned: bool = False) -> LoadedDocument:
    """Clean the text (unless the caller did), enforce non-emptiness and the character limit, and build the result."""
    text = text.strip("\n") if cleaned else clean_text(text)
    if not has_words(text):
        raise LoadError("no text could be extracted")
    if len(text) > limits.max_chars:
        raise LoadError(f"text is {len(text):,} characters, over the {limits.max_chars:,} character limit")
    return LoadedDocument(text=text, meta=meta, format=fmt)


def _sandbox_meta(meta: dict[str, str]) -> dict[str, object]:
    """Title and author a parser found, cleaned like front matter (pypdf decodes NULs and lone
    surrogates from hostile info dictionaries); empty values are left out."""
    cleaned = {key: clean_meta_string(value) for key, value in meta.items()}
    return {key: value for key, value in cleaned.items() if value}


# --------------------------------------------------------------------------- text, markdown


def _load_text(data: bytes, ctx: _Context) -> LoadedDocument:
    """Plain text: paragraphs as they are; a .txt file declares no metadata."""
    return _finish(decode_text(data), {}, "text", ctx.limits)


def _load_markdown(data: bytes, ctx: _Context) -> LoadedDocument:
    """Markdown: optional YAML front matter becomes meta; the body is kept as written."""
    text = clean_text(decode_text(data))
    meta, text = split_front_matter(text)
    # Cleaned once above: a slice of clean text at a line boundary is clean (10 MB files are slow enough).
    return _finish(text, meta, "markdown", ctx.limits, cleaned=True)


# ------------------------------------------------------------------------------------ HTML


def _load_html(data: bytes, ctx: _Context) -> LoadedDocument:
    """HTML: the main content's visible text as Markdown-ish blocks; title/author as meta.

    Decoded and cleaned here (lxml rejects NULs and lone surrogates, and decoding errors get the
    same wording as for text files), parsed in the sandbox (ingest.loaders.htmltext): BeautifulSoup is
    slow and memory-hungry enough on a hostile page to need the same limits as PDF.
    """
    markup = clean_text(decode_text(data))
    result = _run_sandboxed("html", markup.encode("utf-8"), ctx)
    return _finish(_render_blocks(result.blocks), _sandbox_meta(result.meta), "html", ctx.limits)


_HEADINGS = {f"h{level}": level for level in range(1, 7)}


def _render_blocks(blocks: Iterable[Block]) -> str:
    """Markdown-ish text: '#' headings, '- ' items, rows as lines, blank lines between paragraphs."""
    out: list[str] = []
    previous = ""
    for kind, text in blocks:
        if kind in _HEADINGS:
            line = "#" * _HEADINGS[kind] + " " + " ".join(text.split())
        elif kind == "li":
            line = "- " + text
        else:
            line = text
        if out:
            # Consecutive list items and table rows stay together; all else is a paragraph.
            out.append("\n" if kind == previous and kind in ("li", "row") else "\n\n")
        out.append(line)
        previous = kind
    return "".join(out)


# ------------------------------------------------------------------------------ PDF, DOCX

_PDF_HEADER_WINDOW = 1024  # the PDF spec lets the %PDF- header start anywhere in the first 1 KB


def _load_pdf(data: bytes, ctx: _Context) -> LoadedDocument:
    """PDF: pypdf's text per page, extracted in the sandbox."""
    if b"%PDF-" not in data[:_PDF_HEADER_WINDOW]:
        raise LoadError("not a readable PDF: the file does not start with a PDF header")
    result = _run_sandboxed("pdf", data, ctx)
    return _finish(_render_blocks(result.blocks), _sandbox_meta(result.meta), "pdf", ctx.limits)


def _load_docx(data: bytes, ctx: _Context) -> LoadedDocument:
    """DOCX: paragraphs, headings, list items and tables, extracted in the sandbox."""
    check_docx_archive(data, ctx.limits)
    result = _run_sandboxed("docx", data, ctx)
    return _finish(_render_blocks(result.blocks), _sandbox_meta(result.meta), "docx", ctx.limits)


# pypdf's wording for the commonest damage, said the way an admin would.
_FRIENDLY_DETAILS = {
    "EOF marker not found": "the file is truncated (no end-of-file marker)",
    "Stream has ended unexpectedly": "the file is truncated or damaged",
}


def _run_sandboxed(kind: ParserKind, data: bytes, ctx: _Context) -> SandboxResult:
    """Run a parser in the sandbox (the pool's, if any) and word its failures for an admin."""
    limits = ctx.limits
    run = ctx.pool.run if ctx.pool is not None else run_parser
    try:
        return run(
            kind,
            data,
            timeout_s=limits.parse_timeout_s,
            memory_mb=limits.parse_memory_mb,
            max_chars=limits.max_chars,
        )
    except SandboxError as exc:
        raise LoadError(_sandbox_reason(kind.upper(), exc, limits)) from exc


def _sandbox_reason(label: str, exc: SandboxError, limits: LoadLimits) -> str:
    """A sandbox failure in words an admin can act on (which limit, or what is wrong with the file)."""
    detail = exc.detail
    if exc.kind == "timeout":
        return f"{label} parsing took longer than {limits.parse_timeout_s:g} s"
    if exc.kind == "memory":
        return f"{label} parsing exceeded the {limits.parse_memory_mb} MB memory limit"
    if exc.kind == "encrypted":
        return f"{label} is encrypted" + (f" ({detail})" if detail else "")
    if exc.kind == "too_long":
        return f"text is over the {limits.max_chars:,} character limit"
    if exc.kind == "unreadable":
        detail = next((text for key, text in _FRIENDLY_DETAILS.items() if key in detail), detail)
        return f"not a readable {label}: {detail or 'unknown error'}"
    if exc.kind == "setup":
        return f"{label} support is not installed on this server ({detail})"
    logger.warning("%s parser failed: %s", label, exc)
    return f"{label} reader failed unexpectedly ({detail or exc.kind})"


_LOADERS: dict[str, Callable[[bytes, _Context], LoadedDocument]] = {
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".txt": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
}
