"""What a browser would not show: the attributes, inline styles and stylesheet rules that hide text.

Hidden text is a way to feed instructions to a model that no reader sees, so the HTML extraction
(ingest.loaders.htmltext) drops every element this module says is hidden: [hidden], aria-hidden,
inline styles that hide (display:none, visibility:hidden, zero size or opacity, off-screen, clipped),
the usual "hidden" utility classes, and classes or ids that the page's own <style> rules hide.
External stylesheets are not fetched, so text hidden only by them is kept; see README.
Runs in the parser sandbox like htmltext, so it too imports only bs4 and the standard library.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bs4 import BeautifulSoup
from bs4.element import Tag

# Utility classes of the common CSS frameworks (Bootstrap, Tailwind, WordPress, Drupal) that hide an
# element; matched as whole class names.
_HIDING_CLASSES = frozenset(
    {
        "hidden", "hide", "d-none", "invisible", "sr-only", "visually-hidden", "visuallyhidden",
        "screen-reader-text", "screen-reader-only", "element-invisible", "is-hidden", "u-hidden",
        "offscreen", "off-screen", "a11y-hidden", "hidden-text",
    }
)  # fmt: skip
_CSS_NUMBER_RE = re.compile(r"([+-]?\d*\.?\d+)([a-z%]*)")
# An element pushed further off-screen than this (px, em or %) is hidden, not laid out.
_OFFSCREEN = 500.0


@dataclass(frozen=True)
class HidingRule:
    """A simple selector the page's own CSS hides: optional tag, classes (all required), optional id."""

    tag: str | None
    classes: frozenset[str]
    element_id: str | None

    def matches(self, tag: Tag, classes: set[str]) -> bool:
        """True if the tag (with these class names) is selected by this rule."""
        if self.tag is not None and tag.name != self.tag:
            return False
        if self.element_id is not None and tag.attrs.get("id") != self.element_id:
            return False
        return self.classes <= classes


_CSS_COMMENT_RE = re.compile(r"/\*.*?\*/", re.DOTALL)
_SIMPLE_SELECTOR_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)?((?:[.#][-\w]+)+)")
_MAX_RULES = 500


def stylesheet_rules(soup: BeautifulSoup) -> list[HidingRule]:
    """Selectors that the page's <style> elements hide at the top level (not inside @media etc.).

    Hand-written rather than a CSS library: only "tag.class#id { display: none }"-style rules
    matter here, and a full cascade would need a layout engine anyway.
    """
    rules: list[HidingRule] = []
    for style in soup.find_all("style"):
        if not isinstance(style, Tag):
            continue
        for selectors, body in _top_level_rules(_CSS_COMMENT_RE.sub(" ", style.get_text())):
            if not style_hides(body):
                continue
            for selector in selectors.split(","):
                match = _SIMPLE_SELECTOR_RE.fullmatch(selector.strip())
                if match is None:
                    continue  # descendant, attribute or pseudo selectors: not judged
                parts = re.findall(r"[.#][-\w]+", match.group(2))
                ids = [part[1:] for part in parts if part.startswith("#")]
                rules.append(
                    HidingRule(
                        tag=match.group(1).lower() if match.group(1) else None,
                        classes=frozenset(part[1:] for part in parts if part.startswith(".")),
                        element_id=ids[0] if ids else None,
                    )
                )
                if len(rules) >= _MAX_RULES:
                    return rules
    return rules


def _top_level_rules(css: str) -> Iterable[tuple[str, str]]:
    """(selectors, declarations) of rules at nesting depth 0; at-rule blocks are skipped whole."""
    depth = 0
    start = 0
    selectors = ""
    for index, char in enumerate(css):
        if char == "{":
            if depth == 0:
                selectors, start = css[start:index], index + 1
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                if not selectors.lstrip().startswith("@"):
                    yield selectors, css[start:index]
                start = index + 1


def _declarations(style: str) -> dict[str, str]:
    """'a: b; c: d !important' -> {'a': 'b', 'c': 'd'} (lower case)."""
    out: dict[str, str] = {}
    for declaration in style.split(";"):
        prop, colon, value = declaration.partition(":")
        if colon:
            out[prop.strip().lower()] = value.lower().replace("!important", "").strip()
    return out


@functools.lru_cache(maxsize=4096)
def style_hides(style: str) -> bool:
    """CSS declarations that make an element invisible.

    display:none, visibility:hidden, zero font size or opacity, transparent text, a box of zero
    width or height that clips its overflow, a clip rectangle of (almost) nothing, a scale of 0,
    or an element moved far off-screen. Cached: pages repeat the same inline styles.
    """
    decl = _declarations(style)
    if decl.get("display") == "none" or decl.get("visibility") in ("hidden", "collapse"):
        return True
    if any(_css_number(decl.get(prop, "")) == 0 for prop in ("font-size", "opacity")):
        return True
    if decl.get("color") == "transparent":
        return True
    if decl.get("overflow", decl.get("overflow-y", decl.get("overflow-x", ""))) in ("hidden", "clip") and any(
        _css_number(decl.get(prop, "")) == 0 for prop in ("height", "max-height", "width", "max-width")
    ):
        return True
    clip = decl.get("clip", "")
    if clip.startswith("rect(") and all(abs(n) <= 1 for n in _css_numbers(clip)):
        return True
    clip_path = decl.get("clip-path", "")
    if re.fullmatch(r"inset\(\s*(50|100)%\s*\)|circle\(\s*0[a-z%]*\s*\)", clip_path):
        return True
    if re.search(r"scale[xy]?\(\s*0(\.0*)?\s*[,)]", decl.get("transform", "")):
        return True
    if decl.get("position") in ("absolute", "fixed") and any(
        (_css_number(decl.get(prop, "")) or 0) <= -_OFFSCREEN for prop in ("left", "top", "right")
    ):
        return True
    return (_css_number(decl.get("text-indent", "")) or 0) <= -_OFFSCREEN


def _css_number(value: str) -> float | None:
    """The number at the start of a CSS value ('0', '0px', '-9999px', '.0em'), or None."""
    match = _CSS_NUMBER_RE.match(value.strip())
    return float(match.group(1)) if match else None


def _css_numbers(value: str) -> list[float]:
    """Every number in a CSS value ('rect(0 0 0 0)' -> four zeros)."""
    return [float(match.group(1)) for match in _CSS_NUMBER_RE.finditer(value)]


def is_hidden(tag: Tag, classes: set[str], rules: list[HidingRule]) -> bool:
    """True if the element itself is hidden: [hidden], aria-hidden, a hiding inline style, a hiding
    utility class or one of the page's own hiding rules (classes: the tag's class names)."""
    attrs = tag.attrs
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).strip().lower() == "true":
        return True
    style = attrs.get("style")
    if isinstance(style, str) and style_hides(style):
        return True
    return bool(classes & _HIDING_CLASSES) or any(rule.matches(tag, classes) for rule in rules)
