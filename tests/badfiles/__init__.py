"""A deterministic generator of malformed, hostile and weird-but-valid knowledge-base files.

`generate()` returns the same 500+ files (name, bytes, what the loaders must do with them) for the
same seed, so a failure in the malformed-file tests can be reproduced exactly. Each file says
whether it must be refused (with a reason matching `reason`, one specific line) or accepted (and
then which words must reach the index and which hidden ones must not). Each family of files has its
module here (pdfs, docx_files, text_files, html_pages, blank_files, yaml_front_matter, binary_junk);
this one runs them in order and picks samples.

Decisions on weird-but-valid files (also in the report of issue 6):
- UTF-16/UTF-32 WITH a byte-order mark are accepted: the mark says the encoding, nothing is guessed.
- Sparse NUL bytes and lone surrogates (in UTF-16 with a BOM, or YAML "\\ud800" escapes) are
  accepted after cleaning: they are dropped, never stored. UTF-8 with encoded surrogates (CESU-8) is
  invalid UTF-8 and is refused, as is text that is more than a quarter NULs (UTF-16 without a BOM).
- A PDF that only restricts printing or copying (owner password, empty user password) is accepted.
- A PDF whose xref table is damaged but whose objects are intact is accepted when pypdf rebuilds
  it (that is what every PDF viewer does); whatever it yields is still cleaned.
- A DOCX whose XML declares an external entity (XXE) is accepted without the entity: python-docx
  never resolves entities, so no local file can reach the index.
- HTML is accepted with its visible text only; hidden text (display:none, hidden, aria-hidden,
  <template>, <noscript>, comments, scripts, styles, off-screen, zero-size) must not reach the index.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from tests.badfiles.binary_junk import add_junk
from tests.badfiles.blank_files import add_empty
from tests.badfiles.builder import BadFile, Builder
from tests.badfiles.docx_files import add_docx
from tests.badfiles.html_pages import add_html
from tests.badfiles.pdfs import add_pdfs
from tests.badfiles.reasons import R_LIMIT
from tests.badfiles.text_files import add_invalid_utf8, add_long_lines, add_nuls, add_surrogates, add_utf16
from tests.badfiles.yaml_front_matter import add_bad_yaml

SEED = 20261106

# The order is part of the output: every family draws from the one seeded generator in turn.
GENERATORS: list[Callable[[Builder], None]] = [
    add_pdfs, add_docx, add_invalid_utf8, add_utf16, add_nuls, add_surrogates, add_long_lines,
    add_html, add_empty, add_bad_yaml, add_junk,
]  # fmt: skip


def generate(seed: int = SEED) -> list[BadFile]:
    """Every bad file, in a fixed order; the same seed always gives the same bytes."""
    builder = Builder(random.Random(seed))
    for make in GENERATORS:
        make(builder)
    names = [f.name for f in builder.files]
    assert len(names) == len(set(names)), "file names must be unique"
    return builder.files


def kinds(files: list[BadFile]) -> dict[str, int]:
    """Count of files per kind, in generation order."""
    counts: dict[str, int] = {}
    for f in files:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return counts


def sample(files: list[BadFile], per_kind: int = 2, accepted: int = 2, text_per_kind: int = 5) -> list[BadFile]:
    """A representative subset: refused files of every kind (spread over the kind: `per_kind`, or
    `text_per_kind` for kinds of text files), the HTML that hits the parser's limits, and the first
    accepted file of the most telling kinds.

    Empty files are left out: Telegram does not accept an empty document.
    """
    by_kind: dict[str, list[BadFile]] = {}
    for f in files:
        if not f.accept and f.data:
            by_kind.setdefault(f.kind, []).append(f)
    chosen: list[BadFile] = []
    for group in by_kind.values():
        # Text kinds are checked in-process, in microseconds: more of them cost nothing.
        text = all(f.name.endswith((".md", ".markdown", ".txt")) for f in group)
        count = text_per_kind if text else per_kind
        step = max(1, len(group) // count)
        chosen += group[::step][:count]
    # The HTML that runs into the parser's limits (HTML parsing moved into the sandbox for issue 6).
    chosen += [f for f in files if f.reason == R_LIMIT and f.name.endswith(".html") and f not in chosen]
    for kind in ["html_hidden", "lone_surrogates", "utf16_bom", "nul_bytes", "docx_badxml"][:accepted]:
        chosen.append(next(f for f in files if f.accept and f.kind == kind))
    return chosen
