"""Files with no text to index: empty, only whitespace or invisible characters, or only front matter."""

from __future__ import annotations

from tests.badfiles.builder import Builder, front_matter
from tests.badfiles.reasons import R_EMPTY, R_NO_TEXT


def add_empty(b: Builder) -> None:
    rng = b.rng
    for suffix in (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx"):
        b.add("empty", suffix, b"", reason=R_EMPTY)
    blanks = [" ", "\n", "\r\n" * 50, "\t \t", " " * 10_000, "\u00a0\u2003\u3000", "\u200b\u200b\u200b",
              "\ufeff", "\x0c\x0b\x85", "\u2028\u2029", ". . . - * _", "\u00ad\u200d\u2060"]  # fmt: skip
    for i, blank in enumerate(blanks):
        reason = R_NO_TEXT
        b.add("whitespace", [".md", ".txt"][i % 2], blank.encode(), reason=reason)
    for i in range(8):
        suffix = [".md", ".txt", ".html"][i % 3]
        if suffix == ".html":
            data = "<html><body>\n \u00a0 &nbsp; &#8203; <p> </p></body></html>".encode()
        else:
            data = "".join(rng.choice([" ", "\t", "\n", "\r", "\u00a0", "\u200b"]) for _ in range(500)).encode()
        b.add("whitespace", suffix, data, reason=R_NO_TEXT)
    for i in range(10):
        fm = front_matter(f"Only front matter {i}")
        tail = ["", "\n\n\n", "   \n", "\u200b", "<!-- -->" if i == 4 else ""][i % 5]
        b.add("front_matter_only", ".md", (fm + tail).encode(), reason=R_NO_TEXT)
