"""Telegram HTML for answers, briefs and notices, and splitting that never breaks a tag or an entity.

Everything is built as lines of styled `Span`s holding *plain* text; only `render_html` turns them
into markup, escaping every character of knowledge-base and user text on the way. Splitting works
on the plain text (the length Telegram counts after entity parsing) and each part is rendered on its
own, so a bold run or a link cut in two is simply re-opened in the next part.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from bot.answer.briefs import NOTHING, Brief, Comparison
from bot.answer.types import Answer, Source

MAX_MESSAGE = 4096
"""Telegram's limit for a message text after entity parsing, in UTF-16 code units."""

Style = Literal["", "b", "i", "code"]


@dataclass(frozen=True)
class Span:
    """A run of plain text with one style and an optional link; never holds markup."""

    text: str
    style: Style = ""
    href: str | None = None


Line = tuple[Span, ...]
Doc = list[Line]


def plain(text: str) -> Span:
    return Span(text)


def bold(text: str) -> Span:
    return Span(text, "b")


def italic(text: str) -> Span:
    return Span(text, "i")


def code(text: str) -> Span:
    return Span(text, "code")


def line(*spans: Span | str) -> Line:
    return tuple(Span(s) if isinstance(s, str) else s for s in spans)


def text_doc(text: str) -> Doc:
    """Plain text (possibly several lines) as a document."""
    return [line(part) for part in text.split("\n")]


# What Telegram turns into something to tap when it finds it in plain text: links (with a scheme, www. or
# a domain-like word), email addresses, /commands and @mentions. Generous on purpose: a false match only
# shows a word in monospace, a miss lets a link planted in an article be tapped.
_TAPPABLE = re.compile(
    r"(?:\b(?:https?|ftp|tg|ton)://|\bwww\.)[^\s<>\"]+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}"
    r"|(?<![\w@./-])(?:[\w-]+\.)+[^\W\d_]{2,}(?::\d+)?(?:[/?#][^\s<>\"]*)?(?![\w-])"
    r"|(?<![\w/@])/\w{1,64}(?:@\w{3,32})?(?![\w/@])"
    r"|(?<![\w@])@\w{4,32}(?![\w@])",
)
_TRAILING_PUNCT = ".,:;!?)]}'\""


def quoted(text: str, style: Style = "") -> list[Span]:
    """Text we did not write (articles, the model's answer, users) with nothing in it to tap.

    Telegram makes links, email addresses, /commands and @mentions in a message clickable by itself,
    so an article saying "email x@evil.example" or "tap /forget_me" would hand the reader a ready
    action under the bot's name. Inside a code span Telegram detects nothing: those words are shown
    as code, still readable and copyable. The only links in our messages are the sources' own.
    """
    spans: list[Span] = []
    pos = 0
    for match in _TAPPABLE.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _TRAILING_PUNCT:
            end -= 1
        if end - start < 2 or start < pos:
            continue
        if start > pos:
            spans.append(Span(text[pos:start], style))
        spans.append(Span(text[start:end], "code"))
        pos = end
    if pos < len(text):
        spans.append(Span(text[pos:], style))
    return spans


def quoted_doc(text: str) -> Doc:
    """Untrusted plain text (possibly several lines) as a document, nothing in it to tap."""
    return [tuple(quoted(part)) for part in text.split("\n")]


# ----------------------------------------------------------------------------- HTML and splitting


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP take two UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def safe_url(url: str | None) -> str | None:
    """Only absolute http(s) links are rendered; anything else (javascript:, tg:, relative) is dropped."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def _span_html(span: Span) -> str:
    out = html.escape(span.text, quote=False)
    if span.style:
        out = f"<{span.style}>{out}</{span.style}>"
    href = safe_url(span.href)
    if href is not None:
        out = f'<a href="{html.escape(href, quote=True)}">{out}</a>'
    return out


def render_html(spans: Iterable[Span]) -> str:
    """Markup for a run of spans; every tag opens and closes inside its own span."""
    return "".join(_span_html(s) for s in spans if s.text)


def _flatten(doc: Sequence[Line]) -> list[Span]:
    spans: list[Span] = []
    for i, ln in enumerate(doc):
        if i:
            spans.append(Span("\n"))
        spans.extend(s for s in ln if s.text)
    return spans


def doc_text(doc: Sequence[Line]) -> str:
    """The plain text Telegram will show for the document."""
    return "".join(s.text for s in _flatten(doc))


def _fit(text: str, start: int, limit: int) -> int:
    """The largest end such that text[start:end] is at most `limit` UTF-16 units."""
    units = 0
    end = start
    while end < len(text):
        units += 2 if ord(text[end]) > 0xFFFF else 1
        if units > limit:
            break
        end += 1
    return end


def split_plain(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Cut `text` into pieces of at most `limit` UTF-16 units whose concatenation is exactly `text`.

    A cut goes after the last newline that fits, else after the last whitespace, else wherever the
    limit falls (never inside a surrogate pair: Python strings hold whole code points).
    """
    if limit < 2:
        raise ValueError("limit must be at least 2 UTF-16 units")
    parts: list[str] = []
    start = 0
    while start < len(text):
        end = _fit(text, start, limit)
        if end < len(text):
            newline = text.rfind("\n", start, end)
            if newline >= start:
                end = newline + 1
            else:
                space = next((i for i in range(end - 1, start - 1, -1) if text[i].isspace()), -1)
                if space >= start:
                    end = space + 1
        parts.append(text[start:end])
        start = end
    return parts


def _clip(spans: Sequence[Span], start: int, end: int) -> list[Span]:
    """The spans covering plain-text offsets [start, end), cut at the edges with their styles kept."""
    out: list[Span] = []
    pos = 0
    for span in spans:
        a, b = pos, pos + len(span.text)
        pos = b
        if b <= start or a >= end:
            continue
        out.append(Span(span.text[max(start - a, 0) : min(end, b) - a], span.style, span.href))
    return out


def to_messages(doc: Sequence[Line], limit: int = MAX_MESSAGE) -> list[str]:
    """HTML messages for the document, each within Telegram's limit; blank parts are dropped
    (Telegram strips whitespace and refuses an empty message)."""
    spans = _flatten(doc)
    text = "".join(s.text for s in spans)
    messages: list[str] = []
    pos = 0
    for part in split_plain(text, limit):
        start, pos = pos, pos + len(part)
        if part.strip():
            messages.append(render_html(_clip(spans, start, pos)))
    return messages


def first_message(doc: Sequence[Line], limit: int = MAX_MESSAGE) -> str:
    """One message only (inline results, drafts): the document's first part, marked as cut if it was."""
    parts = to_messages(doc, limit - 2)
    if not parts:
        return "…"
    return parts[0] + ("\n…" if len(parts) > 1 else "")


# ----------------------------------------------------------------------------- building blocks


def source_line(source: Source, *, show_id: bool = False) -> Line:
    """'[n] Title — Author, Publisher', the title linked only when the article has an http(s) url."""
    by = ", ".join(p for p in (source.author, source.publisher) if p)
    href = safe_url(source.url)
    title = [Span(source.title, href=href)] if href else quoted(source.title)  # inside a link nothing else is
    spans = [plain(f"[{source.n}] "), *title]
    if by:
        spans += [plain(" — "), *quoted(by)]
    if show_id:
        spans += [plain(" · "), code(source.path)]
    return tuple(spans)


def sources_doc(sources: Sequence[Source], *, title: str = "Sources", show_ids: bool = False) -> Doc:
    """A Sources block; ids are shown to admins only, as the handle /remove takes."""
    if not sources:
        return [line("No sources.")]
    return [line(bold(title)), *[source_line(s, show_id=show_ids) for s in sources]]


def full_sources_doc(cited: Sequence[Source], articles: Sequence[Source]) -> Doc:
    """The "Sources" button: the answer's sources in full, then the other articles it could draw on."""
    cited_paths = {s.path for s in cited}
    others = [a for a in articles if a.path not in cited_paths]
    doc = sources_doc(cited, title="Sources of this answer")
    if others:
        doc += [(), line(bold("Also in the knowledge base"))]
        doc += [line("• ", *source_line(a)[1:]) for a in others]
    return doc


def _strip_footer(text: str) -> str:
    """An answer's plain text without its trailing 'Sources:' block (we render our own, with links)."""
    head, sep, _ = text.rpartition("\nSources:\n")
    return head.rstrip() if sep else text.rstrip()


def answer_doc(answer: Answer) -> Doc:
    """Lead, bulleted points with [n] citations, and the Sources footer; declines are plain text."""
    doc: Doc
    if answer.points:
        doc = [line(italic(f"Showing results for “{answer.understood}”."))] if answer.understood else []
        doc += [tuple(quoted(answer.lead, "b")), ()]
        if answer.points_intro:
            doc.append(tuple(quoted(answer.points_intro)))
        doc += [line("• ", *quoted(p.text), plain(f" [{p.source}]")) for p in answer.points]
    else:
        doc = quoted_doc(_strip_footer(answer.text) if answer.sources else answer.text.rstrip())
    if answer.in_scope and answer.sources:
        doc += [(), *sources_doc(answer.sources)]
    return doc


def brief_doc(brief: Brief) -> Doc:
    """A role brief: one screen, sections as headings, each point cited."""
    doc: Doc = [line(bold(brief.title))]
    for heading, points in brief.sections:
        doc += [(), line(bold(heading))]
        doc += [line("• ", *quoted(p.text), f" [{p.source}]") for p in points] or [line(f"• {NOTHING}")]
    return [*doc, (), *sources_doc(brief.sources)]


def comparison_doc(comparison: Comparison) -> Doc:
    """Two roles section by section, one shared source numbering."""
    first, second = comparison.roles
    doc: Doc = [line(bold(f"{first} vs {second}"))]
    for heading, a, b in comparison.sections:
        doc += [(), line(bold(heading))]
        for role, points in ((first, a), (second, b)):
            body = " ".join(f"{p.text} [{p.source}]" for p in points) or NOTHING
            doc.append(line("• ", italic(role), ": ", *quoted(body)))
    return [*doc, (), *sources_doc(comparison.sources)]


def streaming_doc(text: str) -> Doc:
    """A partial LLM answer as it grows: plain text, cut by the caller to one message."""
    return quoted_doc(text.rstrip() or "…")
