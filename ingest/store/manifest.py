"""A version's manifest: what it holds, and a checksum of every file it is made of.

The manifest is written last, so its presence marks a complete version. It carries a digest of its
own content, and in embedded mode the SHA-256 and size of each file of the version folder, so a
reader can tell an intact version from one a disk error, a half-copied backup or a truncation has
damaged, before Chroma ever opens it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.errors import DamagedError, VersionDamagedError, VersionNotFoundError

VERSION_RE = re.compile(r"^v(\d{6})$")
BASE_RE = re.compile(r"^b(\d{6})$")
"""A compacted base (ingest.store.layers): stored like a version, never live, never listed."""
MANIFEST = "VERSION.json"
BLOCK = 1 << 20


@dataclass(frozen=True)
class DocEntry:
    """What a version knows about one article: enough to tell if its file changed and to prune caches."""

    path: str
    file_hash: str
    title: str
    roles: list[str]
    chunk_hashes: list[str]

    def chunk_ids(self) -> list[str]:
        """The ids of the article's records, in order: known from the manifest alone, no store read."""
        return [chunk_id(self.path, position) for position in range(len(self.chunk_hashes))]


def chunk_id(doc_id: str, position: int) -> str:
    """A record's id: its article and its place in it (ingest.chunking numbers chunks from 0)."""
    return f"{doc_id}#{position:04d}"


def chunk_doc(record_id: str) -> str:
    """The article a record id belongs to."""
    return record_id.rsplit("#", 1)[0]


@dataclass(frozen=True)
class FileSum:
    """One file of a version folder as it was when the version was finished."""

    sha256: str
    size: int


@dataclass(frozen=True)
class VersionInfo:
    """The manifest written when a version is complete; its presence is the 'complete' marker.

    `files` is empty in server mode (the server owns the data) and in manifests written before
    checksums existed: such versions are served unverified.

    `base` names the collection this version reads besides its own (ingest.store.layers): a full
    version (base None) holds every record itself; a delta version holds only `delta_docs`' records
    and shows the base's records except the `tombstones` (chunk ids).
    """

    name: str
    model: str
    dimension: int
    fingerprint: str
    created: str
    documents: dict[str, DocEntry] = field(default_factory=dict)
    files: dict[str, FileSum] = field(default_factory=dict)
    base: str | None = None
    tombstones: list[str] = field(default_factory=list)
    delta_docs: list[str] = field(default_factory=list)
    dead: int = 0
    """Records deleted in place by compaction (ingest.store.erase): their text is gone, their vectors and
    ids stay in the vector index files, marked deleted, until the base is rewritten in full."""

    @property
    def stored_count(self) -> int:
        """Records in this version's own collection: all of them, or only its delta's."""
        if self.base is None:
            return self.chunk_count
        return sum(len(self.documents[d].chunk_hashes) for d in self.delta_docs)

    @property
    def chunk_count(self) -> int:
        return sum(len(d.chunk_hashes) for d in self.documents.values())

    @property
    def size(self) -> int:
        """Bytes on disk (embedded mode), from the checksums."""
        return sum(f.size for f in self.files.values())

    def to_json(self) -> str:
        body = self._plain()
        body["digest"] = _digest(body)
        return json.dumps(body, ensure_ascii=False, sort_keys=True)

    def _plain(self) -> dict[str, Any]:
        """What dataclasses.asdict gives, built by hand: asdict copies every value through a recursive
        walk, ~0.25 s for a 3,000-article manifest, written up to five times per ingest."""
        body = {f.name: getattr(self, f.name) for f in fields(self)}
        body["documents"] = {k: {f.name: getattr(d, f.name) for f in fields(d)} for k, d in self.documents.items()}
        body["files"] = {k: {"sha256": f.sha256, "size": f.size} for k, f in self.files.items()}
        return body

    @classmethod
    def from_json(cls, text: str) -> VersionInfo:
        """Parse a manifest; one whose digest does not match its content raises ValueError."""
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        digest = raw.pop("digest", None)
        if digest is not None and digest != _digest(raw):
            raise ValueError("its content does not match its digest")
        docs = {k: DocEntry(**v) for k, v in raw.pop("documents", {}).items()}
        files = {k: FileSum(**v) for k, v in raw.pop("files", {}).items()}
        return cls(documents=docs, files=files, **raw)


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def version_name(number: int) -> str:
    return f"v{number:06d}"


def version_number(name: str) -> int:
    match = VERSION_RE.match(name)
    if not match:
        raise VersionNotFoundError(f"'{name}' is not a version name (expected e.g. v000012)")
    return int(match.group(1))


def pointer_value(text: str) -> str:
    """A live pointer's content as a version name; DamagedError for anything else (an empty file too)."""
    name = text.strip()
    if not VERSION_RE.match(name):
        readable = name.isascii() and name.isprintable() and len(name) <= 40
        shown = f"{name!r}, not a version name" if readable else f"{len(text)} characters of something else"
        shown = shown if name else "nothing"
        raise DamagedError("the live pointer", f"it holds {shown}")
    return name


def data_files(folder: Path) -> Iterator[Path]:
    """The files of a version folder that its manifest vouches for (all but the manifest itself)."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != MANIFEST and not path.name.startswith("."):
            yield path


def checksums(folder: Path) -> dict[str, FileSum]:
    """SHA-256 and size of each data file; taken right after the writer finished."""
    return {path.relative_to(folder).as_posix(): file_sum(path) for path in data_files(folder)}


def file_sum(path: Path, copy_to: Path | None = None) -> FileSum:
    """One pass over a file: its checksum, and optionally a copy of it written on the way."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as src, contextlib.ExitStack() as stack:
        sink = stack.enter_context(open(copy_to, "wb")) if copy_to is not None else None
        for block in iter(lambda: src.read(BLOCK), b""):
            digest.update(block)
            size += len(block)
            if sink is not None:
                sink.write(block)
    return FileSum(digest.hexdigest(), size)


def copy_verified(info: VersionInfo, source: Path, dest: Path) -> None:
    """Copy a version folder, checking each file against the manifest as it is read (one read).

    Raises VersionDamagedError for a missing, unreadable or changed file of the manifest's, and
    OSError for a failure to write the copy (a full disk): the two mean different things to a reader.
    A manifest without checksums (written before they existed) copies every file unchecked.
    """
    dest.mkdir(parents=True)
    _check(info, source, dest)


def verify(info: VersionInfo, folder: Path) -> None:
    """Raise VersionDamagedError naming the first file that is missing, unreadable or changed.

    Reads the files only: a repair checks versions this way without ever opening them in Chroma.
    """
    _check(info, folder, None)


def _check(info: VersionInfo, source: Path, dest: Path | None) -> None:
    """The one pass both share: each file of the manifest read once, copied on the way if `dest`."""
    present = {p.relative_to(source).as_posix(): p for p in data_files(source)}
    wanted: dict[str, FileSum | None] = dict(info.files)
    if not wanted and dest is not None:
        wanted = dict.fromkeys(present)
    for rel, expected in sorted(wanted.items()):
        if rel not in present:
            raise VersionDamagedError(info.name, f"{rel} is missing")
        target = None if dest is None else dest / rel
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
        try:
            got = file_sum(present[rel], copy_to=target)
        except OSError as exc:
            if target is None or (exc.filename is not None and Path(exc.filename) == present[rel]):
                raise VersionDamagedError(info.name, f"{rel} cannot be read ({exc.strerror or exc})") from exc
            raise  # writing the copy failed: not the version's fault
        if expected is not None and got != expected:
            raise VersionDamagedError(info.name, f"{rel} does not match its checksum")
