"""Bytes to text for text-based formats: UTF-8, or UTF-16/32 marked by a BOM; never a guessed encoding.

Guessing (chardet and friends) turns a wrong guess into silently garbled knowledge; a refusal
that says "save the file as UTF-8" is something an admin can act on.
"""

from __future__ import annotations

import codecs

from ingest.loaders.errors import LoadError

# UTF-32 before UTF-16: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


def decode_text(data: bytes) -> str:
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
    """Decode from start, turning a decoding error into a refusal that names the bad byte's offset."""
    try:
        return data[start:].decode(codec, errors)
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        byte = f"byte 0x{data[offset]:02x}" if offset < len(data) else "end of file"
        raise LoadError(f"not valid {label} text ({byte} at offset {offset}); save the file as UTF-8") from exc
