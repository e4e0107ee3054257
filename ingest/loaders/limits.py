"""What an untrusted file may cost, checked before the costly step: reading, decompressing, parsing.

Files come from admins over Telegram, so a file's size is checked before it is read and a DOCX
archive's declared sizes before anything is decompressed; the parse limits travel to the sandbox.
"""

from __future__ import annotations

import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ingest.loaders.errors import LoadError

_MB = 1024 * 1024
_MAX_MEMBER_RATIO = 200
# Small parts may compress extremely well (a run of empty XML elements) and are harmless;
# the per-member ratio check only applies from this declared size up.
_RATIO_CHECK_MIN_BYTES = 1 * _MB


@dataclass(frozen=True)
class LoadLimits:
    """Resource limits for one file; the defaults suit Telegram uploads (20 MB max)."""

    max_bytes: int = 20 * _MB
    parse_timeout_s: float = 20.0
    parse_memory_mb: int = 1024
    max_uncompressed_bytes: int = 200 * _MB
    max_chars: int = 2_000_000

    def __post_init__(self) -> None:
        for name in ("max_bytes", "parse_timeout_s", "parse_memory_mb", "max_uncompressed_bytes", "max_chars"):
            if getattr(self, name) <= 0:
                raise ValueError(f"LoadLimits.{name} must be positive")


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """Read a regular file, refusing oversized ones before reading them."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise LoadError("not a regular file")
        check_size(info.st_size, max_bytes)
        with path.open("rb") as handle:
            # Read one byte past the limit in case the file grew since stat().
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    check_size(len(data), max_bytes)
    if not data:
        raise LoadError("file is empty")
    return data


def check_size(size: int, max_bytes: int) -> None:
    """Refuse a file (by its stat size or the bytes read) over the byte limit."""
    if size > max_bytes:
        raise LoadError(f"file is {human_size(size)}, over the {human_size(max_bytes, exact=True)} limit")


def human_size(size: int, exact: bool = False) -> str:
    """'25.3 MB'; with exact=True a round limit is shown without decimals ('20 MB')."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    if exact and value == int(value):
        return f"{int(value)} {unit}"
    return f"{value:.1f} {unit}"


def check_docx_archive(data: bytes, limits: LoadLimits) -> None:
    """Refuse zip bombs from the archive's declared sizes, before anything is decompressed."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise LoadError("not a readable DOCX: this is an old Word .doc file; save it as .docx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise LoadError(f"not a readable DOCX: not a valid ZIP package ({exc})") from exc
    total = sum(member.file_size for member in members)
    if total > limits.max_uncompressed_bytes:
        limit = human_size(limits.max_uncompressed_bytes, exact=True)
        raise LoadError(f"DOCX declares {human_size(total)} uncompressed (zip bomb?), over the {limit} limit")
    for member in members:
        if member.file_size >= _RATIO_CHECK_MIN_BYTES and (member.file_size > _MAX_MEMBER_RATIO * member.compress_size):
            raise LoadError(
                f"DOCX part '{member.filename}' expands {human_size(member.compress_size)} to "
                f"{human_size(member.file_size)} (zip bomb?), over the {_MAX_MEMBER_RATIO}:1 limit"
            )
    if "[Content_Types].xml" not in {member.filename for member in members}:
        raise LoadError("not a readable DOCX: the ZIP file is not a Word document")
