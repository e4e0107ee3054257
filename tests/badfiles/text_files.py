"""Text and Markdown files whose bytes are hostile: invalid UTF-8, UTF-16/32 with and without a byte-order
mark, NUL bytes, lone surrogates, and text over the length limit."""

from __future__ import annotations

import codecs

from tests.badfiles.builder import MB, Builder, front_matter, marker, paragraphs
from tests.badfiles.reasons import R_LIMIT, R_NULS, R_TOO_LONG, R_UTF8, R_UTF8_OR_NULS, R_YAML


def add_invalid_utf8(b: Builder) -> None:
    rng = b.rng
    bad_sequences = [b"\x80", b"\xbf", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xff", b"\xfe", b"\xed\xa0\x80", b"\xf5\x80",
                     b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98"]  # fmt: skip
    for i in range(60):
        text = (front_matter() if i % 4 == 0 else "") + paragraphs(rng, 2)
        data = bytearray(text.encode())
        seq = bad_sequences[i % len(bad_sequences)]
        where = rng.randrange(len(data) + 1) if i % 5 else len(data)  # some at the very end (truncated char)
        if i % 8 == 3:  # inside the front matter
            where = 8
        data[where:where] = seq
        b.add("utf8_invalid", [".md", ".txt", ".markdown"][i % 3], bytes(data), reason=R_UTF8)


def add_utf16(b: Builder) -> None:
    rng = b.rng
    for i in range(30):
        text = front_matter() + paragraphs(rng, 2) if i % 2 else paragraphs(rng, 2)
        if i % 5 == 4:
            text = "Résumé naïve café — CMIO 日本語 " + text
        codec = ["utf-16-le", "utf-16-be"][i % 2]
        b.add("utf16_nobom", [".md", ".txt"][i % 2], text.encode(codec), reason=R_UTF8_OR_NULS)
    for i in range(10):
        token = marker(rng, "WIDE")
        text = front_matter(f"Wide {i}") + f"Wide {token} text — résumé 😀 for the CTO.\n\n" + paragraphs(rng, 1)
        codec = ["utf-16", "utf-32", "utf-16-be", "utf-32-be", "utf-8-sig"][i % 5]
        data = text.encode(codec)
        if codec == "utf-16-be":
            data = codecs.BOM_UTF16_BE + data
        if codec == "utf-32-be":
            data = codecs.BOM_UTF32_BE + data
        b.add("utf16_bom", [".md", ".txt"][i % 2], data, accept=True, visible=(token,), notes=codec)


def add_nuls(b: Builder) -> None:
    rng = b.rng
    for i in range(30):
        token = marker(rng, "NUL")
        mode = [0, 2, 3, 1, 2, 3, 4, 2, 3, 3][i % 10]  # a third accepted
        if mode == 0:  # a few NULs sprinkled in the body
            body = f"Sparse {token} NUL text about the CMIO.\n\n" + paragraphs(rng, 2)
            chars = list(body)
            for _ in range(10):
                chars.insert(rng.randrange(len(chars)), "\x00")
            b.add("nul_bytes", ".md", "".join(chars).encode(), accept=True, visible=(), notes="sparse")
        elif mode == 1:  # NULs in front matter values and keys
            text = f"---\ntitle: Ti\x00tle {i}\nauthor: \x00Nul Author\nroles: [C\x00TO]\n---\n\nBody {token} text.\n"
            b.add("nul_bytes", ".md", text.encode(), accept=True, visible=(token,), notes="front matter")
        elif mode == 2:  # more than a quarter NULs: UTF-16-like, refused
            body = "\x00".join(f"Dense {token} text about the CTO role") + "\x00"
            b.add("nul_bytes", [".md", ".txt"][i % 2], body.encode(), reason=R_NULS)
        elif mode == 3:  # only NULs
            b.add("nul_bytes", [".md", ".txt"][i % 2], b"\x00" * rng.randrange(1, 5000), reason=R_NULS)
        else:  # control characters everywhere, in a .txt
            body = f"Controls {token} survive" + "".join(chr(rng.randrange(1, 32)) for _ in range(20)) + " around."
            b.add("nul_bytes", ".txt", body.encode(), accept=True, visible=(token,), notes="controls")


def add_surrogates(b: Builder) -> None:
    rng = b.rng
    for i in range(20):
        token = marker(rng, "SURR")
        mode = i % 4
        text = f"Surrogate {token} \ud800 text \udfff about the CTO \ud83d\ude00 role.\n\n" + paragraphs(rng, 1)
        if mode == 0:  # UTF-8 with encoded surrogates (CESU-8/WTF-8): invalid UTF-8
            data = text.encode("utf-8", "surrogatepass")
            b.add("lone_surrogates", ".md", data, reason=R_UTF8)
        elif mode == 1:  # UTF-16 with a BOM and unpaired halves: accepted, halves dropped
            data = codecs.BOM_UTF16_LE + text.encode("utf-16-le", "surrogatepass")
            b.add("lone_surrogates", [".md", ".txt"][i % 2], data, accept=True, visible=(token,))
        elif mode == 2 and i % 8 == 2:  # YAML escapes of lone surrogates: libyaml refuses them
            fm = f'---\ntitle: "Title \\ud800 with \\udc00 halves {i}"\nauthor: "\\udfffAuthor"\n---\n\n'
            b.add("lone_surrogates", ".md", (fm + f"Body {token}.\n").encode(), reason=R_YAML)
        elif mode == 2:  # raw lone surrogates, NULs and YAML NUL/BEL escapes in front matter (UTF-16 + BOM)
            fm = f'---\ntitle: "Title \ud800 with \x00 halves \\0 \\a {i}"\nauthor: \udfffAu\x00thor\n---\n\n'
            data = codecs.BOM_UTF16_LE + (fm + f"Body {token}.\n").encode("utf-16-le", "surrogatepass")
            b.add("lone_surrogates", ".md", data, accept=True, visible=(token,))
        else:  # UTF-32 with a BOM carrying surrogate code points
            data = codecs.BOM_UTF32_LE + text.encode("utf-32-le", "surrogatepass")
            b.add("lone_surrogates", ".txt", data, accept=True, visible=(token,))


def add_long_lines(b: Builder) -> None:
    rng = b.rng
    size = 10 * MB
    b.add("long_line", ".md", (b"abcdefghi " * (size // 10))[:size], reason=R_TOO_LONG)
    b.add("long_line", ".txt", ("é" * (size // 2)).encode(), reason=R_TOO_LONG)
    b.add("long_line", ".md", front_matter().encode() + b"word " * (size // 5), reason=R_TOO_LONG)
    b.add("long_line", ".txt", b"a\x00" * (size // 2), reason=R_NULS)
    b.add("long_line", ".html", b"<html><body><p>" + b"lorem ipsum " * (size // 12) + b"</p></body></html>",
          reason=f"({R_TOO_LONG})|({R_LIMIT})")  # fmt: skip
    b.add("long_line", ".html", b"<body>" + b"<b>x</b>" * (size // 8) + b"</body>", reason=R_LIMIT)
    del rng
