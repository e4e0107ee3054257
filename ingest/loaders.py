"""Turn an uploaded knowledge-base file into clean Markdown-ish text plus the metadata it declares.

Files come from admins over Telegram, so every input is untrusted: sizes are checked
before reading, text encodings are never guessed, PDF and DOCX parsing runs in a
resource-limited child process (see ingest.sandbox), and every failure becomes a
LoadError whose one-line reason an admin can act on.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
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
from bs4 import BeautifulSoup
from bs4.builder import ParserRejectedMarkup
from bs4.element import NavigableString, Tag

from ingest import sandbox

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


def load_document(path: Path, limits: LoadLimits = LoadLimits()) -> LoadedDocument:
    """Load one file by its suffix; raise LoadError (only) for anything that can't be ingested."""
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        shown = f"unsupported format '{suffix}'" if suffix else "file has no extension"
        raise LoadError(f"{shown}; supported: {supported}")
    data = _read_bytes(path, limits.max_bytes)
    return loader(data, limits)


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


def _finish(text: str, meta: dict[str, object], fmt: str, limits: LoadLimits) -> LoadedDocument:
    """Clean the text, enforce non-emptiness and the character limit, and build the result."""
    text = clean_text(text)
    if not text.strip():
        raise LoadError("no text could be extracted")
    if len(text) > limits.max_chars:
        raise LoadError(f"text is {len(text):,} characters, over the {limits.max_chars:,} character limit")
    return LoadedDocument(text=text, meta=meta, format=fmt)


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


def _load_text(data: bytes, limits: LoadLimits) -> LoadedDocument:
    """Plain text: paragraphs as they are; a .txt file declares no metadata."""
    return _finish(_decode_text(data), {}, "text", limits)


_FRONT_MATTER_END_RE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
# Front matter is a handful of keys; a budget on converted values stops a YAML alias
# "billion laughs" from expanding exponentially when we copy it into plain JSON types.
_META_NODE_BUDGET = 10_000


def _load_markdown(data: bytes, limits: LoadLimits) -> LoadedDocument:
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
    return _finish(text, meta, "markdown", limits)


def _parse_front_matter(source: str) -> dict[str, object]:
    """Parse front matter with yaml.safe_load into JSON-serialisable metadata."""
    try:
        loaded = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        raise LoadError(f"front matter is not valid YAML: {_yaml_reason(exc)}") from exc
    except RecursionError as exc:
        raise LoadError("front matter is not valid YAML: nested too deeply") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise LoadError(f"front matter is not valid YAML: expected 'key: value' lines, got a {_yaml_type(loaded)}")
    budget = [_META_NODE_BUDGET]
    meta = {_meta_key(key): _jsonable(value, budget) for key, value in loaded.items()}
    if "roles" in meta:
        meta["roles"] = _normalise_roles(meta["roles"])
    return meta


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

# Elements that are never article content.
_DROP_TAGS = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "svg", "nav", "header", "footer",
        "aside", "form", "button", "input", "select", "textarea", "dialog", "menu", "object",
        "embed", "canvas", "video", "audio", "map", "head",
    }
)  # fmt: skip
# ARIA landmark roles that mean the same as nav/header/footer/aside.
_DROP_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_BOILERPLATE_TOKENS = frozenset(
    {
        "comment", "comments", "share", "shares", "sharing", "social", "related", "newsletter",
        "newsletters", "cookie", "cookies", "breadcrumb", "breadcrumbs", "sidebar", "sidebars",
        "menu", "menus", "advert", "adverts", "advertisement", "advertisements", "advertising",
    }
)  # fmt: skip
# State classes on the page containers ("single-sidebar", "menu-open") are not boilerplate.
_CONTAINERS = frozenset({"html", "body", "main"})
# "has-sidebar", "no-comments": a layout flag on a wrapper, not the boilerplate itself.
_LAYOUT_MODIFIERS = frozenset({"has", "with", "no", "without", "show", "hide"})
_CAMEL_RE = re.compile(r"([a-z0-9])([A-Z])")
_TOKEN_SPLIT_RE = re.compile(r"[^a-z0-9]+")
_CSS_NUMBER_RE = re.compile(r"[+-]?(\d*\.?\d*)[a-z%]*")
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "blockquote", "body", "caption", "dd", "details", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "hgroup", "hr", "html", "li", "main", "ol", "p", "pre",
        "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "br",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer",
    }
)  # fmt: skip
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_SPACE_RE = re.compile(r"\s+")


def _load_html(data: bytes, limits: LoadLimits) -> LoadedDocument:
    """HTML: the main content's visible text as Markdown-ish blocks; title/author as meta."""
    # lxml rejects NULs and lone surrogates, so clean before parsing as well as after.
    markup = clean_text(_decode_text(data))
    try:
        soup = BeautifulSoup(markup, "lxml")
        meta = _html_meta(soup)
        blocks = _html_main_blocks(soup)
    except ParserRejectedMarkup as exc:
        raise LoadError(f"not readable HTML: {exc}") from exc
    except RecursionError as exc:
        raise LoadError("not readable HTML: elements are nested too deeply") from exc
    return _finish(_render_blocks(blocks), meta, "html", limits)


def _html_meta(soup: BeautifulSoup) -> dict[str, object]:
    """Title from <title> (else og:title) and author from <meta name=author>.

    Only <head> is searched (lxml moves <title> and <meta> there): a search of the whole
    tree costs a full scan of a large page per field.
    """
    head = soup.head
    if head is None:
        return {}
    meta: dict[str, object] = {}
    title_tag = head.find("title")
    title = _clean_meta_string(title_tag.get_text()) if isinstance(title_tag, Tag) else ""
    if not title:
        title = _meta_content(head, "property", "og:title")
    if title:
        meta["title"] = title
    author = _meta_content(head, "name", "author")
    if author:
        meta["author"] = author
    return meta


def _meta_content(head: Tag, attribute: str, value: str) -> str:
    tag = head.find("meta", attrs={attribute: re.compile(f"^{re.escape(value)}$", re.IGNORECASE)})
    content = tag.get("content") if isinstance(tag, Tag) else None
    return _clean_meta_string(content) if isinstance(content, str) else ""


def _html_main_blocks(soup: BeautifulSoup) -> list[sandbox.Block]:
    """Blocks of the main content: the longest visible <article>, else <main>, else
    [role=main], else <body>, else the whole document.

    Longest rather than first, because teaser or comment <article>s may come before
    the real one.
    """
    groups: dict[int, list[Tag]] = {}
    for tag in soup.find_all(_is_content_candidate):  # one scan of the tree
        if isinstance(tag, Tag) and _is_visible(tag):
            groups.setdefault(_candidate_rank(tag), []).append(tag)
    if isinstance(soup.body, Tag):
        groups.setdefault(3, []).append(soup.body)
    for rank in sorted(groups):
        converted = [_HtmlConverter().convert(candidate) for candidate in groups[rank]]
        best = max(converted, key=lambda blocks: sum(len(text) for _, text in blocks))
        if best:
            return best
    return _HtmlConverter().convert(soup)


def _is_content_candidate(tag: Tag) -> bool:
    return tag.name in ("article", "main") or str(tag.get("role", "")).strip().lower() == "main"


def _candidate_rank(tag: Tag) -> int:
    return {"article": 0, "main": 1}.get(tag.name, 2)


def _is_visible(tag: Tag) -> bool:
    """False if the tag or an ancestor is dropped for what it is (not for its class names).

    Class names are not held against a candidate or its ancestors: WordPress puts
    "tag-social-media" on the article itself and layouts wrap it in "has-sidebar";
    losing the whole article is worse than letting a teaser compete on length.
    """
    return not _is_dropped(tag, by_name=False) and not any(_is_dropped(parent, by_name=False) for parent in tag.parents)


def _is_dropped(tag: Tag, by_name: bool = True) -> bool:
    """True for elements whose text is not article content.

    by_name: also judge by boilerplate words in the class and id.
    """
    name = tag.name
    # An article's own <header> holds its title; only a page-level header is a banner.
    if name in _DROP_TAGS and not (name == "header" and tag.find_parent(["article", "main"]) is not None):
        return True
    attrs = tag.attrs
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).strip().lower() == "true":
        return True
    if str(attrs.get("role", "")).strip().lower() in _DROP_ROLES:
        return True
    style = attrs.get("style")
    if isinstance(style, str) and _style_hides(style):
        return True
    return by_name and name not in _CONTAINERS and _has_boilerplate_name(tag)


def _style_hides(style: str) -> bool:
    """Inline CSS that makes an element invisible (display:none, visibility:hidden, size/opacity 0)."""
    for declaration in style.split(";"):
        prop, _, value = declaration.partition(":")
        prop = prop.strip().lower()
        value = value.lower().replace("!important", "").strip()
        if prop == "display" and value == "none":
            return True
        if prop == "visibility" and value in ("hidden", "collapse"):
            return True
        if prop in ("font-size", "opacity") and _css_is_zero(value):
            return True
    return False


def _css_is_zero(value: str) -> bool:
    match = _CSS_NUMBER_RE.fullmatch(value)
    if match is None or not any(ch.isdigit() for ch in match.group(1)):
        return False
    return float(match.group(1)) == 0


def _has_boilerplate_name(tag: Tag) -> bool:
    """Class or id containing a boilerplate word as a whole token ("post-comments", "shareBar")."""
    names = [str(name) for name in tag.get_attribute_list("class") if name]
    element_id = tag.attrs.get("id")
    if isinstance(element_id, str):
        names.append(element_id)
    return any(_is_boilerplate_name(name) for name in names)


@functools.lru_cache(maxsize=4096)
def _is_boilerplate_name(name: str) -> bool:
    """Cached: a page repeats the same few class names on thousands of elements."""
    tokens = _TOKEN_SPLIT_RE.split(_CAMEL_RE.sub(r"\1 \2", name).lower())
    return any(
        token in _BOILERPLATE_TOKENS and (index == 0 or tokens[index - 1] not in _LAYOUT_MODIFIERS)
        for index, token in enumerate(tokens)
    )


class _HtmlConverter:
    """Walks an element tree into blocks; iterative, so deep nesting can't overflow the stack."""

    def __init__(self) -> None:
        self.blocks: list[sandbox.Block] = []
        self.parts: list[str] = []
        self.kind = "p"  # kind of the block being collected: "p", "li" or "h1".."h6"
        self.heading: Tag | None = None  # inside a heading, block elements are just spaces
        self.pre_depth = 0  # inside <pre>, whitespace is kept

    def convert(self, root: Tag) -> list[sandbox.Block]:
        stack: list[tuple[object, bool]] = [(root, False)]
        while stack:
            node, leaving = stack.pop()
            if isinstance(node, Tag):
                if leaving:
                    self._leave(node)
                elif (node is root or not _is_dropped(node)) and self._enter(node):
                    stack.append((node, True))
                    stack.extend((child, False) for child in reversed(node.contents))
            elif type(node) is NavigableString:  # not a Comment, CData, Doctype...
                self.parts.append(str(node) if self.pre_depth else _SPACE_RE.sub(" ", str(node)))
        self._flush()
        return self.blocks

    def _enter(self, tag: Tag) -> bool:
        """Open a block; return False when the tag's children were already handled."""
        name = tag.name
        if name == "table" and self.heading is None and _is_data_table(tag):
            self._flush()
            self.blocks.extend(("row", row) for row in _table_rows(tag))
            return False
        if name in _HEADINGS and self.heading is None and not self.pre_depth:
            self._flush()
            self.kind, self.heading = name, tag
        elif name == "pre":
            self._break()
            self.pre_depth += 1
        elif name == "li":
            self._break()
            if self.heading is None and not self.pre_depth:
                self.kind = "li"
        elif name in _BLOCK_TAGS:
            self._break()
        return name != "br"

    def _leave(self, tag: Tag) -> None:
        if tag is self.heading:
            self._flush()
            self.heading = None
        elif tag.name == "pre":
            if self.pre_depth == 1 and self.heading is None:
                self._flush()  # while pre_depth still says "keep the newlines"
            self.pre_depth -= 1
            self._break()
        elif tag.name in _BLOCK_TAGS:
            self._break()
            if tag.name == "li" and self.kind == "li":
                self.kind = "p"  # an item with no text of its own

    def _break(self) -> None:
        """A block boundary: a new block, except inside a heading (a space) or <pre> (a newline)."""
        if self.pre_depth:
            self.parts.append("\n")
        elif self.heading is not None:
            self.parts.append(" ")
        else:
            self._flush()

    def _flush(self) -> None:
        joined = "".join(self.parts)
        self.parts = []
        text = joined.strip("\n") if self.pre_depth else " ".join(joined.split())
        if text.strip():
            self.blocks.append((self.kind, text))
            self.kind = "p"


def _is_data_table(table: Tag) -> bool:
    """Tables whose cells hold block content are page layout, walked like any other element."""
    block_content = ("p", "div", "ul", "ol", "table", "blockquote", "pre", *_HEADINGS)
    return table.find(block_content) is None


def _table_rows(table: Tag) -> list[str]:
    """Visible rows as 'cell | cell' lines."""
    rows = []
    for row in table.find_all("tr"):
        if not isinstance(row, Tag) or _is_dropped(row):
            continue
        cells = [
            " ".join(_visible_text(cell).split())
            for cell in row.find_all(["td", "th"], recursive=False)
            if isinstance(cell, Tag) and not _is_dropped(cell)
        ]
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


def _visible_text(root: Tag) -> str:
    """The text of ``root`` without dropped descendants, flattened to one string."""
    pieces: list[str] = []
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node is root or not _is_dropped(node):
                if node.name in _BLOCK_TAGS:
                    pieces.append(" ")
                stack.extend(reversed(node.contents))
        elif type(node) is NavigableString:
            pieces.append(str(node))
    return "".join(pieces)


def _render_blocks(blocks: Iterable[sandbox.Block]) -> str:
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


def _load_pdf(data: bytes, limits: LoadLimits) -> LoadedDocument:
    """PDF: pypdf's text per page, extracted in the sandbox."""
    if b"%PDF-" not in data[:_PDF_HEADER_WINDOW]:
        raise LoadError("not a readable PDF: the file does not start with a PDF header")
    result = _run_sandboxed("pdf", data, limits)
    return _finish(_render_blocks(result.blocks), dict(result.meta), "pdf", limits)


def _load_docx(data: bytes, limits: LoadLimits) -> LoadedDocument:
    """DOCX: paragraphs, headings, list items and tables, extracted in the sandbox."""
    _check_docx_archive(data, limits)
    result = _run_sandboxed("docx", data, limits)
    return _finish(_render_blocks(result.blocks), dict(result.meta), "docx", limits)


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


def _run_sandboxed(kind: sandbox.ParserKind, data: bytes, limits: LoadLimits) -> sandbox.SandboxResult:
    """Run a parser in the sandbox and word its failures for an admin."""
    label = kind.upper()
    try:
        return sandbox.run_parser(
            kind,
            data,
            timeout_s=limits.parse_timeout_s,
            memory_mb=limits.parse_memory_mb,
            max_chars=limits.max_chars,
        )
    except sandbox.SandboxError as exc:
        raise LoadError(_sandbox_reason(label, exc, limits)) from exc


def _sandbox_reason(label: str, exc: sandbox.SandboxError, limits: LoadLimits) -> str:
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


_LOADERS: dict[str, Callable[[bytes, LoadLimits], LoadedDocument]] = {
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".txt": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
}
