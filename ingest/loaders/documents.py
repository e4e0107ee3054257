"""Turn an uploaded knowledge-base file into clean Markdown-ish text plus the metadata it declares.

Files come from admins over Telegram, so every input is untrusted: sizes are checked
before reading, text encodings are never guessed, PDF, DOCX and HTML parsing runs in a
resource-limited child process (see ingest.loaders.sandbox; Markdown and plain text are only decoded
and cleaned, in-process), and every failure becomes a LoadError whose one-line reason an admin
can act on. Whatever is accepted is cleaned: no NUL, control character or lone surrogate
reaches the store, in the text or in the metadata.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import logging
import re
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from ingest.loaders.pool import ParserPool
from ingest.loaders.protocol import Block, ParserKind, SandboxError, SandboxResult
from ingest.loaders.sandbox import run_parser

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx"})

_MB = 1024 * 1024


@dataclass(frozen=True)
class LoadLimits:
    """Resource limits for one file; the defaults suit Telegram uploads (20 MB max)."""

    max_bytes: int = 20 * _MB
    parse_timeout_s: float = 20.0
    parse_memory_mb: int = 1024
    max_uncompressed_bytes: int = 200 * _MB
    max_chars: int = 2_000_000

    def __post_init__(self) -> None:
        for name in ("max_bytes", "parse_timeout_s", "parse_memory_mb", "max_uncompressed_bytes", "max_chars"):
            if getattr(self, name) <= 0:
                raise ValueError(f"LoadLimits.{name} must be positive")


@dataclass(frozen=True)
class LoadedDocument:
    """A file's text as Markdown-ish paragraphs, its self-declared metadata and its format."""

    text: str
    meta: dict[str, object]
    format: str


class LoadError(Exception):
    """A file that cannot be ingested; str() is ONE line naming the reason (the caller prefixes the path)."""

    def __init__(self, reason: str) -> None:
        self.reason = " ".join(reason.split())
        super().__init__(self.reason)


# ------------------------------------------------------------------------------ entry point


def load_document(path: Path, limits: LoadLimits = LoadLimits(), *, pool: ParserPool | None = None) -> LoadedDocument:
    """Load one file by its suffix; raise LoadError (only) for anything that can't be ingested.

    pool: parse PDF/DOCX/HTML in this pool's warm processes (a batch of files) instead of a
    one-shot child per file.
    """
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        shown = f"unsupported format '{suffix}'" if suffix else "file has no extension"
        raise LoadError(f"{shown}; supported: {supported}")
    data = _read_bytes(path, limits.max_bytes)
    return loader(data, _Context(limits, pool))


@dataclass(frozen=True)
class _Context:
    limits: LoadLimits
    pool: ParserPool | None


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """Read a regular file, refusing oversized ones before reading them."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise LoadError("not a regular file")
        _check_size(info.st_size, max_bytes)
        with path.open("rb") as handle:
            # Read one byte past the limit in case the file grew since stat().
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    _check_size(len(data), max_bytes)
    if not data:
        raise LoadError("file is empty")
    return data


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise LoadError(f"file is {_human_size(size)}, over the {_human_size(max_bytes, exact=True)} limit")


def _human_size(size: int, exact: bool = False) -> str:
    """'25.3 MB'; with exact=True a round limit is shown without decimals ('20 MB')."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    if exact and value == int(value):
        return f"{int(value)} {unit}"
    return f"{value:.1f} {unit}"


# -------------------------------------------------------------------------------- cleaning

# \v, \f, NEL and the Unicode line/paragraph separators end lines (str.splitlines agrees);
# they become "\n" rather than vanishing so that the words either side stay apart.
_LINE_BREAKS = str.maketrans({"\v": "\n", "\f": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"})
# Other C0 controls (except \t and \n), DEL, C1 controls and stray byte-order marks.
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufeff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
# A letter or digit in any script: text without one (spaces, zero-width characters, punctuation,
# rules like "-----") has nothing to retrieve.
_WORD_CHAR_RE = re.compile(r"[^\W_]")


def clean_text(text: str) -> str:
    """Make text safe and tidy for the vector store.

    A NUL in a Chroma document can corrupt its full-text index and a lone surrogate
    aborts a whole Chroma batch, so both go; the rest keeps chunks and hashes stable.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_LINE_BREAKS)
    text = _CONTROL_RE.sub("", text)
    if _SURROGATE_RE.search(text):
        # Re-pair surrogate halves that belong together (a round trip through UTF-16
        # joins them), then drop the lone ones.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        text = _SURROGATE_RE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    # Split and rstrip rather than a regex: r"\s+$" backtracks quadratically on long runs
    # of spaces inside a line.
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES_RE.sub("\n\n", text).strip("\n")


def _finish(text: str, meta: dict[str, object], fmt: str, limits: LoadLimits, cleaned: bool = False) -> LoadedDocument:
    """Clean the text (unless the caller did), enforce non-emptiness and the character limit, and build the result."""
    text = text.strip("\n") if cleaned else clean_text(text)
    if _WORD_CHAR_RE.search(text) is None:
        raise LoadError("no text could be extracted")
    if len(text) > limits.max_chars:
        raise LoadError(f"text is {len(text):,} characters, over the {limits.max_chars:,} character limit")
    return LoadedDocument(text=text, meta=meta, format=fmt)


def _sandbox_meta(meta: dict[str, str]) -> dict[str, object]:
    """Title and author a parser found, cleaned like front matter (pypdf decodes NULs and lone
    surrogates from hostile info dictionaries); empty values are left out."""
    cleaned = {key: _clean_meta_string(value) for key, value in meta.items()}
    return {key: value for key, value in cleaned.items() if value}


def _clean_meta_string(value: str) -> str:
    """Metadata strings end up in Chroma too: same cleaning, and single-line."""
    return " ".join(clean_text(value).split())


# -------------------------------------------------------------------------------- decoding

# UTF-32 before UTF-16: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


def _decode_text(data: bytes) -> str:
    """Decode UTF-8 (optional BOM) or BOM-marked UTF-16/32; never guess another encoding."""
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            # UTF-16/32 may carry unpaired surrogates (e.g. text cut mid-character by a
            # Windows tool); let them through, clean_text drops them.
            errors = "strict" if codec == "utf-8" else "surrogatepass"
            return _decode_or_fail(data, len(bom), codec, errors, label)
    # ASCII text saved as UTF-16/32 without a BOM is valid UTF-8 full of NULs; refuse it
    # rather than ingest "H\0e\0l\0l\0o\0".
    if data.count(0) * 4 > len(data):
        raise LoadError(
            "not valid UTF-8 text (many NUL bytes: UTF-16 without a byte-order mark?); save the file as UTF-8"
        )
    return _decode_or_fail(data, 0, "utf-8", "strict", "UTF-8")


def _decode_or_fail(data: bytes, start: int, codec: str, errors: str, label: str) -> str:
    try:
        return data[start:].decode(codec, errors)
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        byte = f"byte 0x{data[offset]:02x}" if offset < len(data) else "end of file"
        raise LoadError(f"not valid {label} text ({byte} at offset {offset}); save the file as UTF-8") from exc


# --------------------------------------------------------------------------- text, markdown


def _load_text(data: bytes, ctx: _Context) -> LoadedDocument:
    """Plain text: paragraphs as they are; a .txt file declares no metadata."""
    return _finish(_decode_text(data), {}, "text", ctx.limits)


_FRONT_MATTER_END_RE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
# Front matter is a handful of keys; a budget on converted values stops a YAML alias
# "billion laughs" from expanding exponentially when we copy it into plain JSON types.
_META_NODE_BUDGET = 10_000
# Real front matter is well under 2 KB. The limits keep YAML parsing (in-process, so it must stay
# cheap) in the milliseconds: PyYAML's pure-Python parser takes seconds on 20 KB, and libyaml's
# composer overflows the C stack on deep nesting. The depth is read from the text itself, before
# PyYAML sees it, so that the refusal and its words are ours whatever PyYAML's own limits become.
_FRONT_MATTER_MAX_CHARS = 64 * 1024
_FRONT_MATTER_MAX_DEPTH = 32
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A block indicator that opens a nested node on the same line: "- ", "? " or "key: ".
_YAML_INDICATOR = re.compile(r"(?:[-?]|[^\s#'\"\[\]{}][^:#]*:)[ \t]+")


def _load_markdown(data: bytes, ctx: _Context) -> LoadedDocument:
    """Markdown: optional YAML front matter becomes meta; the body is kept as written."""
    text = clean_text(_decode_text(data))
    meta: dict[str, object] = {}
    first_line, newline, rest = text.partition("\n")
    if first_line.rstrip() == "---":
        end = _FRONT_MATTER_END_RE.search(rest) if newline else None
        if end is None:
            raise LoadError("front matter has no closing '---' line")
        meta = _parse_front_matter(rest[: end.start()])
        text = rest[end.end() :]
    # Cleaned once above: a slice of clean text at a line boundary is clean (10 MB files are slow enough).
    return _finish(text, meta, "markdown", ctx.limits, cleaned=True)


def _parse_front_matter(source: str) -> dict[str, object]:
    """Parse front matter with PyYAML's safe loader into JSON-serialisable metadata."""
    if len(source) > _FRONT_MATTER_MAX_CHARS:
        raise LoadError(
            f"front matter is {_human_size(len(source.encode()))}, over the "
            f"{_human_size(_FRONT_MATTER_MAX_CHARS, exact=True)} limit"
        )
    try:
        _check_yaml_depth(source)
        loaded = yaml.load(source, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader (C or Python)
    except yaml.YAMLError as exc:
        raise LoadError(f"front matter is not valid YAML: {_yaml_reason(exc)}") from exc
    except RecursionError as exc:
        raise LoadError("front matter is not valid YAML: nested too deeply") from exc
    except (ValueError, TypeError, OverflowError) as exc:
        # PyYAML's constructors raise these on well-formed but impossible values: a date of
        # 2020-13-45, an int of 5,000 digits, "!!float abc".
        raise LoadError(f"front matter is not valid YAML: a value cannot be read ({_one_line(exc)})") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise LoadError(f"front matter is not valid YAML: expected 'key: value' lines, got a {_yaml_type(loaded)}")
    budget = [_META_NODE_BUDGET]
    meta = {_meta_key(key): _jsonable(value, budget) for key, value in loaded.items()}
    if "roles" in meta:
        meta["roles"] = _normalise_roles(meta["roles"])
    return meta


def _check_yaml_depth(source: str) -> None:
    """Refuse front matter nested deeper than _FRONT_MATTER_MAX_DEPTH, before any YAML parser reads it."""
    depth = _yaml_depth_bound(source)
    if depth > _FRONT_MATTER_MAX_DEPTH:
        raise LoadError(f"front matter is nested too deeply (over {_FRONT_MATTER_MAX_DEPTH} levels)")


def _yaml_depth_bound(source: str) -> int:
    """An upper bound on the YAML nesting depth, in one linear pass over the text.

    Hand-written: no YAML library measures depth without parsing, and parsing is what the check
    protects. It may over-count, never under-count: every bracket counts (in quotes and comments
    too), each indentation level counts twice (a key and its zero-indented "- " list share one),
    and so does each indicator that opens a node on the same line ("- - a", "k: v", "? k").
    Real front matter stays under 10.
    """
    deepest, flow, block = 0, 0, 0
    indents: list[int] = []
    for line in source.splitlines():
        stripped = line.lstrip(" ")
        if not flow and stripped and not stripped.startswith("#"):
            indent = len(line) - len(stripped)
            while indents and indents[-1] >= indent:
                indents.pop()
            indents.append(indent)
            opened, position = 0, 0
            while match := _YAML_INDICATOR.match(stripped, position):
                opened, position = opened + 1, match.end()
            block = 2 * len(indents) + opened
        for char in stripped:
            if char in "[{":
                flow += 1
                deepest = max(deepest, block + flow)
            elif char in "]}":
                flow = max(0, flow - 1)
        deepest = max(deepest, block + flow)
    return deepest


def _one_line(exc: BaseException, limit: int = 120) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _yaml_reason(exc: yaml.YAMLError) -> str:
    """PyYAML's message, shortened to its problem and the file line it is on."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem:
        mark = exc.problem_mark
        # +2: marks are 0-based and the opening '---' is line 1 of the file.
        where = f" (line {mark.line + 2})" if mark is not None else ""
        return f"{exc.problem}{where}"
    return str(exc).split("\n", 1)[0]


def _yaml_type(value: object) -> str:
    return {list: "list", str: "text", int: "number", float: "number", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


def _meta_key(key: object) -> str:
    """Keys as written; non-string YAML keys (numbers, dates) become strings."""
    if isinstance(key, str):
        return _clean_meta_string(key)
    if isinstance(key, dt.date):
        return key.isoformat()
    return str(key)


def _jsonable(value: object, budget: list[int]) -> object:
    """Copy a YAML value into JSON types: dates to ISO strings, sets to lists, strings cleaned."""
    budget[0] -= 1
    if budget[0] < 0:
        raise LoadError("front matter is too large or too deeply nested")
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, bytes):
        raise LoadError("front matter is not valid YAML: binary values are not supported")
    if isinstance(value, dict):
        return {_meta_key(key): _jsonable(item, budget) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [_jsonable(item, budget) for item in items]
    return str(value)


def _normalise_roles(value: object) -> list[str]:
    """'cto, cmio' or ['cto', 'CMIO'] -> ['CTO', 'CMIO'] (order kept, duplicates dropped)."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[object] = [value]
    elif isinstance(value, list):
        items = value
    else:
        raise LoadError("front matter 'roles' must be a list or a comma-separated text")
    roles: list[str] = []
    for item in items:
        for part in str(item).split(","):
            role = part.strip().upper()
            if role and role not in roles:
                roles.append(role)
    return roles


# ------------------------------------------------------------------------------------ HTML


def _load_html(data: bytes, ctx: _Context) -> LoadedDocument:
    """HTML: the main content's visible text as Markdown-ish blocks; title/author as meta.

    Decoded and cleaned here (lxml rejects NULs and lone surrogates, and decoding errors get the
    same wording as for text files), parsed in the sandbox (ingest.loaders.htmltext): BeautifulSoup is
    slow and memory-hungry enough on a hostile page to need the same limits as PDF.
    """
    markup = clean_text(_decode_text(data))
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
_MAX_MEMBER_RATIO = 200
# Small parts may compress extremely well (a run of empty XML elements) and are harmless;
# the per-member ratio check only applies from this declared size up.
_RATIO_CHECK_MIN_BYTES = 1 * _MB


def _load_pdf(data: bytes, ctx: _Context) -> LoadedDocument:
    """PDF: pypdf's text per page, extracted in the sandbox."""
    if b"%PDF-" not in data[:_PDF_HEADER_WINDOW]:
        raise LoadError("not a readable PDF: the file does not start with a PDF header")
    result = _run_sandboxed("pdf", data, ctx)
    return _finish(_render_blocks(result.blocks), _sandbox_meta(result.meta), "pdf", ctx.limits)


def _load_docx(data: bytes, ctx: _Context) -> LoadedDocument:
    """DOCX: paragraphs, headings, list items and tables, extracted in the sandbox."""
    _check_docx_archive(data, ctx.limits)
    result = _run_sandboxed("docx", data, ctx)
    return _finish(_render_blocks(result.blocks), _sandbox_meta(result.meta), "docx", ctx.limits)


def _check_docx_archive(data: bytes, limits: LoadLimits) -> None:
    """Refuse zip bombs from the archive's declared sizes, before anything is decompressed."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise LoadError("not a readable DOCX: this is an old Word .doc file; save it as .docx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise LoadError(f"not a readable DOCX: not a valid ZIP package ({exc})") from exc
    total = sum(member.file_size for member in members)
    if total > limits.max_uncompressed_bytes:
        limit = _human_size(limits.max_uncompressed_bytes, exact=True)
        raise LoadError(f"DOCX declares {_human_size(total)} uncompressed (zip bomb?), over the {limit} limit")
    for member in members:
        if member.file_size >= _RATIO_CHECK_MIN_BYTES and (member.file_size > _MAX_MEMBER_RATIO * member.compress_size):
            raise LoadError(
                f"DOCX part '{member.filename}' expands {_human_size(member.compress_size)} to "
                f"{_human_size(member.file_size)} (zip bomb?), over the {_MAX_MEMBER_RATIO}:1 limit"
            )
    if "[Content_Types].xml" not in {member.filename for member in members}:
        raise LoadError("not a readable DOCX: the ZIP file is not a Word document")


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
