"""Huge repeated content compressed with O(1) work: the PDF stream bombs and the DOCX zip bombs both
need hundreds of MB that would take seconds to compress for real."""

from __future__ import annotations

import functools
import struct
import zlib


@functools.lru_cache(maxsize=16)
def deflate_repeated(chunk: bytes, copies: int, prefix: bytes = b"") -> tuple[bytes, int]:
    """Raw deflate of `prefix` + `chunk` * `copies`, built with O(1) compression work; and its CRC-32.

    After a full flush every further copy of the chunk compresses to the same bytes, so one
    compressed copy is repeated instead of compressing hundreds of MB (which takes seconds).
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(prefix + chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    steady = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    raw = first + steady * (copies - 1) + compressor.flush()
    crc = zlib.crc32(prefix)
    for _ in range(copies):
        crc = zlib.crc32(chunk, crc)
    return raw, crc


def zlib_repeated(chunk: bytes, copies: int, prefix: bytes = b"") -> bytes:
    """The same as a zlib stream (what a PDF /FlateDecode filter holds)."""
    raw, _ = deflate_repeated(chunk, copies, prefix)
    adler = zlib.adler32(prefix)
    for _ in range(copies):
        adler = zlib.adler32(chunk, adler)
    return b"\x78\xda" + raw + struct.pack(">I", adler)
