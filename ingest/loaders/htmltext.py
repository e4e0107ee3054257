"""The visible main content of an HTML page as text blocks, plus its title and author.

Runs inside the parser sandbox (ingest.loaders.sandbox), never in the ingest or bot process: BeautifulSoup
takes seconds per MB and builds a tree many times the page's size, so a hostile page must meet the
sandbox's time and memory limits. It imports only bs4/lxml and the standard library for that reason.

Hidden text is a way to feed instructions to a model that no reader sees, so everything a browser
would not show is dropped: scripts, styles, templates, <noscript> and comments here, and whatever
ingest.loaders.hidden says is hidden by attributes, inline styles or the page's own <style> rules.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from bs4.element import NavigableString, Tag

from ingest.loaders.hidden import HidingRule, is_hidden, stylesheet_rules

Block = tuple[str, str]

# Elements that are never article content.
_DROP_TAGS = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "svg", "nav", "header", "footer",
        "aside", "form", "button", "input", "select", "textarea", "dialog", "menu", "object",
        "embed", "canvas", "video", "audio", "map", "head", "math",
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


def extract(markup: str) -> tuple[list[Block], dict[str, str]]:
    """Blocks of the page's visible main content and its title/author (empty strings left out)."""
    soup = BeautifulSoup(markup, "lxml")
    page = _Page(stylesheet_rules(soup))
    return page.main_blocks(soup), _meta(soup)


# --------------------------------------------------------------------------------- metadata


def _meta(soup: BeautifulSoup) -> dict[str, str]:
    """Title from <title> (else og:title) and author from <meta name=author>.

    Only <head> is searched (lxml moves <title> and <meta> there): a search of the whole
    tree costs a full scan of a large page per field.
    """
    head = soup.head
    if head is None:
        return {}
    meta: dict[str, str] = {}
    title_tag = head.find("title")
    title = " ".join(title_tag.get_text().split()) if isinstance(title_tag, Tag) else ""
    if not title:
        title = _meta_content(head, "property", "og:title")
    if title:
        meta["title"] = title
    author = _meta_content(head, "name", "author")
    if author:
        meta["author"] = author
    return meta


def _meta_content(head: Tag, attribute: str, value: str) -> str:
    """The content of <meta attribute=value> (case-insensitive), on one line; '' if absent."""
    tag = head.find("meta", attrs={attribute: re.compile(f"^{re.escape(value)}$", re.IGNORECASE)})
    content = tag.get("content") if isinstance(tag, Tag) else None
    return " ".join(content.split()) if isinstance(content, str) else ""


# ------------------------------------------------------------------------------ stylesheets


# ----------------------------------------------------------------------------- main content


@dataclass
class _Page:
    """One page's visibility rules, and the walk of its main content into blocks."""

    rules: list[HidingRule] = field(default_factory=list)

    def main_blocks(self, soup: BeautifulSoup) -> list[Block]:
        """Blocks of the main content: the longest visible <article>, else <main>, else
        [role=main], else <body>, else the whole document.

        Longest rather than first, because teaser or comment <article>s may come before
        the real one.
        """
        groups: dict[int, list[Tag]] = {}
        for tag in soup.find_all(_is_content_candidate):  # one scan of the tree
            if isinstance(tag, Tag) and self.is_visible(tag):
                groups.setdefault(_candidate_rank(tag), []).append(tag)
        if isinstance(soup.body, Tag):
            groups.setdefault(3, []).append(soup.body)
        for rank in sorted(groups):
            converted = [_Converter(self).convert(candidate) for candidate in groups[rank]]
            best = max(converted, key=lambda blocks: sum(len(text) for _, text in blocks))
            if best:
                return best
        return _Converter(self).convert(soup)

    def is_visible(self, tag: Tag) -> bool:
        """False if the tag or an ancestor is dropped for what it is (not for its class names).

        Class names are not held against a candidate or its ancestors: WordPress puts
        "tag-social-media" on the article itself and layouts wrap it in "has-sidebar";
        losing the whole article is worse than letting a teaser compete on length.
        """
        return not self.is_dropped(tag, by_name=False) and not any(
            self.is_dropped(parent, by_name=False) for parent in tag.parents
        )

    def is_dropped(self, tag: Tag, by_name: bool = True) -> bool:
        """True for elements whose text is not visible article content.

        by_name: also judge by boilerplate words in the class and id.
        """
        name = tag.name
        # An article's own <header> holds its title; only a page-level header is a banner.
        if name in _DROP_TAGS and not (name == "header" and tag.find_parent(["article", "main"]) is not None):
            return True
        if str(tag.attrs.get("role", "")).strip().lower() in _DROP_ROLES:
            return True
        classes = {str(name) for name in tag.get_attribute_list("class") if name}
        if is_hidden(tag, classes, self.rules):
            return True
        return by_name and name not in _CONTAINERS and _has_boilerplate_name(tag, classes)


def _is_content_candidate(tag: Tag) -> bool:
    """<article>, <main> or [role=main]: an element that may hold the page's main content."""
    return tag.name in ("article", "main") or str(tag.get("role", "")).strip().lower() == "main"


def _candidate_rank(tag: Tag) -> int:
    """Preference among candidates: <article> first, then <main>, then [role=main]."""
    return {"article": 0, "main": 1}.get(tag.name, 2)


def _has_boilerplate_name(tag: Tag, classes: set[str]) -> bool:
    """Class or id containing a boilerplate word as a whole token ("post-comments", "shareBar")."""
    names = list(classes)
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


class _Converter:
    """Walks an element tree into blocks; iterative, so deep nesting can't overflow the stack."""

    def __init__(self, page: _Page) -> None:
        self.page = page
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.kind = "p"  # kind of the block being collected: "p", "li" or "h1".."h6"
        self.heading: Tag | None = None  # inside a heading, block elements are just spaces
        self.pre_depth = 0  # inside <pre>, whitespace is kept

    def convert(self, root: Tag) -> list[Block]:
        """The blocks of root's visible text, in document order."""
        stack: list[tuple[object, bool]] = [(root, False)]
        while stack:
            node, leaving = stack.pop()
            if isinstance(node, Tag):
                if leaving:
                    self._leave(node)
                elif (node is root or not self.page.is_dropped(node)) and self._enter(node):
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
            self.blocks.extend(("row", row) for row in _table_rows(self.page, tag))
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
        """Close what _enter opened for this tag: the heading, the <pre> or the block."""
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
        """End the block being collected, keeping it if it holds any text."""
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


def _table_rows(page: _Page, table: Tag) -> list[str]:
    """Visible rows as 'cell | cell' lines."""
    rows = []
    for row in table.find_all("tr"):
        if not isinstance(row, Tag) or page.is_dropped(row):
            continue
        cells = [
            " ".join(_visible_text(page, cell).split())
            for cell in row.find_all(["td", "th"], recursive=False)
            if isinstance(cell, Tag) and not page.is_dropped(cell)
        ]
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


def _visible_text(page: _Page, root: Tag) -> str:
    """The text of ``root`` without dropped descendants, flattened to one string."""
    pieces: list[str] = []
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Tag):
            if node is root or not page.is_dropped(node):
                if node.name in _BLOCK_TAGS:
                    pieces.append(" ")
                stack.extend(reversed(node.contents))
        elif type(node) is NavigableString:
            pieces.append(str(node))
    return "".join(pieces)
