"""Text cleaning: what any accepted text goes through before it may reach the vector store.

Whatever a loader accepts is cleaned here, in the text and in the metadata: no NUL, control
character or lone surrogate reaches Chroma.
"""

from __future__ import annotations

import re
import unicodedata

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


def clean_meta_string(value: str) -> str:
    """Metadata strings end up in Chroma too: same cleaning, and single-line."""
    return " ".join(clean_text(value).split())


def has_words(text: str) -> bool:
    """True if the text holds a letter or digit in any script, i.e. something to retrieve."""
    return _WORD_CHAR_RE.search(text) is not None
