"""Binary junk under text names: file-format magic numbers, random bytes, control characters, NUL runs."""

from __future__ import annotations

from tests.badfiles.builder import Builder
from tests.badfiles.reasons import R_NO_TEXT, R_UTF8_OR_NULS

_MAGIC = [b"\x89PNG\r\n\x1a\n", b"\x7fELF\x02\x01\x01", b"\x1f\x8b\x08", b"PK\x03\x04", b"GIF89a", b"\xff\xd8\xff\xe0",
          b"MZ\x90\x00", b"%PDF-1.4\n", b"SQLite format 3\x00", b"\xca\xfe\xba\xbe"]  # fmt: skip


def add_junk(b: Builder) -> None:
    rng = b.rng
    for i in range(80):
        suffix = [".md", ".txt", ".markdown", ".md"][i % 4]
        mode = i % 4
        if mode == 0:
            data = _MAGIC[i // 4 % len(_MAGIC)] + rng.randbytes(rng.randrange(100, 20_000))
            reason = R_UTF8_OR_NULS
        elif mode == 1:
            data = rng.randbytes(rng.randrange(1, 50_000))
            reason = R_UTF8_OR_NULS
        elif mode == 2:  # valid UTF-8 made only of control characters: nothing left after cleaning
            data = bytes(rng.choice([1, 2, 3, 7, 8, 11, 12, 14, 27, 31, 127]) for _ in range(rng.randrange(1, 5000)))
            reason = R_NO_TEXT
        else:  # a binary header, a run of NULs, then noise
            data = _MAGIC[i // 4 % len(_MAGIC)] + b"\x00" * 64 + rng.randbytes(1000)
            reason = R_UTF8_OR_NULS
        b.add("binary_md", suffix, data, reason=reason)
