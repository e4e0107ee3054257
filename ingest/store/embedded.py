"""The embedded store: one PersistentClient folder per version, and readers' private copies of them.

Layout under `store.path`: `versions/vNNNNNN/` (Chroma's files and the manifest `VERSION.json`),
`bases/bNNNNNN/` (compacted bases, ingest.store.layers, laid out like a version), the live pointer
`LIVE` (replaced atomically), and `.readers/<pid>/`, each reader process's copies. A
crash can only damage a version that is not live, and deleting a pruned version's folder really
erases its text from disk.

Why readers copy: Chroma rewrites a version's files (its SQLite file, the HNSW index) whenever a
process opens it, from that process's memory; a reader that has seen other articles (the bot, an
ingest that read the live version) could leave their text in files we keep, and the kept files would
no longer match their checksums. The copy is checked against the manifest as it is read, so it costs
one read of the version, and it is removed when the reader lets go, when the process exits, or, for a
killed process, by the next process that opens a version. On a full disk the copy goes to memory
(`/dev/shm`) instead, so answering goes on.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import itertools
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ingest.errors import DamagedError, StoreUnavailableError, VersionDamagedError, VersionNotFoundError, reason
from ingest.store.clients import HNSW, embedded_client
from ingest.store.manifest import (
    BASE_RE,
    MANIFEST,
    VERSION_RE,
    VersionInfo,
    checksums,
    copy_verified,
    pointer_value,
    verify,
)

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

CHUNKS = "chunks"
MEMORY_DIR = Path("/dev/shm")  # noqa: S108 - a folder of our own in it, checked to be ours (see _private)
"""Where reader copies go when the store's disk is full: a RAM filesystem on Linux."""
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
T = TypeVar("T")
_NO_ROOM = "version {} cannot be read (no space left on device)"

_COPIES = itertools.count(1)
"""Numbers this process's private version copies."""
_OWNED: set[Path] = set()
"""This process's copy folders, removed at exit however the backends were (not) closed."""


def _remove_owned() -> None:
    for folder in list(_OWNED):
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            folder.parent.rmdir()  # the <pid> folder, once empty
    _OWNED.clear()


atexit.register(_remove_owned)


def atomic_write(path: Path, text: str) -> None:
    """Write-then-rename with fsyncs, so a reader sees the old or the new content, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a full disk must not leave a half-written temp file behind
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def disk_full(exc: Exception) -> bool:
    """Whether a Chroma error is SQLite's SQLITE_FULL ("database or disk is full", code 13): Chroma's Rust
    bindings pass it on as an InternalError with SQLite's own words, and no errno."""
    text = str(exc)
    return "disk is full" in text or "(code: 13)" in text


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _private(folder: Path) -> None:
    """Create a readers folder only we can enter; refuse one someone else made (in /dev/shm anyone can)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = folder.lstat()
    if not folder.is_dir() or folder.is_symlink() or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise PermissionError(errno.EACCES, "a readers folder not private to this user", str(folder))


class EmbeddedBackend:
    """One PersistentClient folder per version, so a writer never shares a folder with readers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.versions_dir = root / "versions"
        self.bases_dir = root / "bases"
        self.readers_dirs = (root / ".readers", MEMORY_DIR / f"hiring-advisor-readers-{os.getuid()}")
        self.live_file = root / "LIVE"
        self._clients: dict[str, ClientAPI] = {}
        self._snapshots: dict[str, Path] = {}
        self._infos: dict[str, tuple[tuple[int, int, int], VersionInfo]] = {}
        self._cleaned = False

    def live_name(self) -> str | None:
        """The pointer's value, or None before the first ingest; DamagedError if it is unreadable,
        empty or not a version name (readers then serve the newest intact kept version)."""
        try:
            raw = self.live_file.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DamagedError("the live pointer", f"it cannot be read ({reason(exc)})") from exc
        return pointer_value(raw.decode("utf-8", "replace"))

    def live_stamp(self) -> tuple[int, int] | None:
        """A cheap change detector for readers: the pointer file's inode and mtime."""
        try:
            st = self.live_file.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreUnavailableError(f"the live pointer cannot be read ({reason(exc)})") from exc
        return (st.st_ino, st.st_mtime_ns)

    def set_live(self, name: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write(self.live_file, name + "\n")

    def names(self) -> list[str]:
        if not self.versions_dir.is_dir():
            return []
        return sorted(p.name for p in self.versions_dir.iterdir() if p.is_dir() and VERSION_RE.match(p.name))

    def base_names(self) -> list[str]:
        """Compacted bases, complete or not (ingest.store.layers); never versions of their own."""
        if not self.bases_dir.is_dir():
            return []
        return sorted(p.name for p in self.bases_dir.iterdir() if p.is_dir() and BASE_RE.match(p.name))

    def folder(self, name: str) -> Path:
        """Where a version (vNNNNNN) or a compacted base (bNNNNNN) keeps its files."""
        return (self.bases_dir if BASE_RE.match(name) else self.versions_dir) / name

    def info(self, name: str) -> VersionInfo | None:
        """The manifest, None for an incomplete version; VersionDamagedError if it cannot be trusted."""
        path = self.folder(name) / MANIFEST
        try:
            # Parsed once per file as written: at 3,000 articles a manifest is ~1.5 MB of JSON whose digest
            # takes ~0.1 s to check, and one delta ingest reads the live version's and its base's many times.
            # A manifest is only ever replaced whole (atomic_write), so a new file is a new inode.
            st = path.stat()
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
            cached = self._infos.get(name)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            info = VersionInfo.from_json(path.read_text(encoding="utf-8"))
            self._infos[name] = (stamp, info)
            return info
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError) as exc:  # ValueError: bad JSON, UTF-8 or digest
            raise VersionDamagedError(name, f"its manifest cannot be read ({reason(exc)})") from exc

    def write_info(self, info: VersionInfo) -> VersionInfo:
        """Seal a finished version: checksum its files, then write the manifest that vouches for them."""
        folder = self.folder(info.name)
        sealed = replace(info, files=checksums(folder))
        atomic_write(folder / MANIFEST, sealed.to_json())
        return sealed

    def verify(self, info: VersionInfo) -> None:
        """Check a version's files against its manifest by reading them, never opening it in Chroma."""
        verify(info, self.folder(info.name))

    def _client(self, name: str) -> ClientAPI:
        if name not in self._clients:
            self._clients[name] = embedded_client(self.folder(name))
        return self._clients[name]

    def create(self, name: str) -> Collection:
        folder = self.folder(name)
        if folder.exists():
            raise FileExistsError(f"version folder {folder} already exists")
        return self._client(name).create_collection(CHUNKS, configuration=HNSW, embedding_function=None)  # type: ignore[arg-type]

    def max_batch_size(self, name: str) -> int:
        """The most records one add() to version `name` takes (Chroma refuses larger batches)."""
        return int(self._client(name).get_max_batch_size())

    def open_snapshot(self, name: str) -> Collection:
        """Open a private copy of a complete version, for reading (see the module docstring).

        VersionDamagedError when the version does not match its manifest or Chroma cannot read it,
        VersionNotFoundError when it is not there, StoreUnavailableError when no copy can be written.
        """
        if not self._cleaned:
            self.clean_readers()
            self._cleaned = True
        if name not in self._clients:
            source = self.folder(name)
            info = self.info(name) if source.is_dir() else None
            if info is None:
                raise VersionNotFoundError(f"version {name} does not exist (or is incomplete) in the store")
            self._open_copy(info, source)
        from chromadb.errors import ChromaError, NotFoundError

        try:
            return self._clients[name].get_collection(CHUNKS, embedding_function=None)  # type: ignore[arg-type]
        except NotFoundError as exc:  # a version without its collection: drop the copy
            self.release(name)
            raise VersionDamagedError(name, "it holds no index") from exc
        except ChromaError as exc:  # e.g. "database disk image is malformed" in a version with no checksums
            self.release(name)
            if disk_full(exc):
                raise StoreUnavailableError(_NO_ROOM.format(name)) from exc
            raise VersionDamagedError(name, f"Chroma cannot read it ({exc.__class__.__name__})") from exc

    def _open_copy(self, info: VersionInfo, source: Path) -> None:
        """Copy the version and open Chroma on the copy. Chroma writes to its files as it opens them, so a
        copy that fits can still leave no room for that write: the copy is then made again in memory, as
        when the copy itself does not fit, and the version is not called damaged for a full disk."""
        from chromadb.errors import ChromaError

        roots: tuple[Path, ...] = self.readers_dirs
        while True:
            dest = self._copy(info, source, roots)
            try:
                client = embedded_client(dest)
            except ChromaError as exc:
                self._discard(dest)
                if not disk_full(exc):
                    raise VersionDamagedError(info.name, f"Chroma cannot open it ({exc.__class__.__name__})") from exc
                used = next(i for i, root in enumerate(roots) if dest.is_relative_to(root))
                roots = roots[used + 1 :]  # the folders after the one that had no room
                if not roots:
                    raise StoreUnavailableError(_NO_ROOM.format(info.name)) from exc
                log.warning("no space left for Chroma to open the reader copy of %s; copying it into memory", info.name)
                continue
            self._snapshots[info.name] = dest
            self._clients[info.name] = client
            return

    def _copy(self, info: VersionInfo, source: Path, roots: tuple[Path, ...]) -> Path:
        """Copy-and-verify into the first of `roots` with room: the store's readers folder, else memory."""
        number = next(_COPIES)  # two backends in one process must never share, and so delete, a copy
        for root in roots:
            dest = root / str(os.getpid()) / f"{info.name}.{number}"
            shutil.rmtree(dest, ignore_errors=True)
            _OWNED.add(dest)
            try:
                if root.parent == MEMORY_DIR:
                    _private(root)
                copy_verified(info, source, dest)
                return dest
            except VersionDamagedError:
                self._discard(dest)
                raise
            except OSError as exc:
                self._discard(dest)
                if exc.errno in NO_SPACE and root != roots[-1]:
                    log.warning(
                        "no space left on the store's disk for a reader copy; copying %s into memory", info.name
                    )
                    continue
                raise StoreUnavailableError(f"version {info.name} cannot be read ({reason(exc)})") from exc
        raise AssertionError("unreachable: the last readers folder raises")

    @staticmethod
    def _discard(dest: Path) -> None:
        shutil.rmtree(dest, ignore_errors=True)
        _OWNED.discard(dest)

    def release(self, name: str) -> None:
        """Close this process's client on a version (and drop its private copy), freeing memory and disk."""
        client = self._clients.pop(name, None)
        if client is not None:
            client.close()  # type: ignore[attr-defined]
        snapshot = self._snapshots.pop(name, None)
        if snapshot is not None:
            self._discard(snapshot)

    def stale_readers(self) -> list[Path]:
        """Copy folders of reader processes that are gone (e.g. killed)."""
        found = []
        for readers in self.readers_dirs:
            if readers.is_dir():
                found += [f for f in readers.iterdir() if f.name.isdigit() and not _alive(int(f.name))]
        return found

    def clean_readers(self) -> list[Path]:
        """Remove the copies of reader processes that are gone; returns them."""
        stale = self.stale_readers()
        for folder in stale:
            shutil.rmtree(folder, ignore_errors=True)
        return stale

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Reads go to this process's private copy, which no one else touches: nothing to translate."""
        return fn(*args, **kwargs)

    def drop(self, name: str) -> None:
        self.release(name)
        shutil.rmtree(self.folder(name), ignore_errors=True)

    def close(self) -> None:
        for name in list(self._clients):
            self.release(name)
        for readers in self.readers_dirs:
            with contextlib.suppress(OSError):
                (readers / str(os.getpid())).rmdir()
