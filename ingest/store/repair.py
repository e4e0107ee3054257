"""What is kept and whether it can be trusted (`python -m ingest list`), and the one command that repairs.

Checking never opens a version in Chroma: a version is judged by its manifest and its files'
checksums (embedded), or by its collection on the server. A repair drops what is damaged, sets a
damaged embedding cache aside, removes reader copies of dead processes, and builds a fresh live
version from knowledge/ without reading any kept version.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ingest.errors import DamagedError, VersionDamagedError
from ingest.report import IngestReport
from ingest.settings import Settings
from ingest.store.backend import Backend, survey
from ingest.store.embedded import EmbeddedBackend
from ingest.store.layers import verify_version
from ingest.store.sqlitefile import problem, set_aside
from ingest.store.versions import kept_versions

CACHE_FILE = "embeddings.sqlite3"


@dataclass(frozen=True)
class VersionRow:
    name: str
    created: str | None
    articles: int
    chunks: int
    live: bool
    damage: str | None
    """None when intact; else what is wrong, in one line."""
    base: str | None = None
    """A delta version's base (ingest.store.layers); None for a full version."""
    own_chunks: int = 0
    """Records in the version's own collection: all of them, or only its delta's."""
    hidden: int = 0
    """A delta's tombstones: base records it does not show."""
    base_of: list[str] = field(default_factory=list)
    """Kept only as the base these versions read: past store.keep_versions, and not for --rollback."""


@dataclass
class Inventory:
    """The store as `python -m ingest list` shows it; `damaged` names every damaged part."""

    live: str | None
    versions: list[VersionRow] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)
    reader_copies: int = 0
    """Copies of dead reader processes left on disk (removed by the next reader or a repair)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        lines = [f"Live: {self.live or 'none'}"]
        for v in self.versions:
            state = "DAMAGED: " + v.damage if v.damage else "intact"
            mark = " (live)" if v.live else ""
            kind = f"delta over {v.base}: {v.own_chunks} own, {v.hidden} hidden" if v.base else "full"
            kept = f"  (kept as the base of {', '.join(v.base_of)})" if v.base_of else ""
            lines.append(
                f"{v.name}{mark}  {v.created or '-'}  {v.articles} articles, {v.chunks} chunks, {kind}  {state}{kept}"
            )
        lines += [f"DAMAGED {d}" for d in self.damaged if not d.startswith("version ")]  # versions: above
        if self.reader_copies:
            lines.append(
                f"{self.reader_copies} reader copies of ended processes are left; the next reader removes them"
            )
        if self.damaged:
            lines.append("Run `python -m ingest --repair` to drop what is damaged and rebuild from the articles.")
        return "\n".join(lines)


def inventory(backend: Backend, settings: Settings) -> Inventory:
    """Check everything kept, reading files only; nothing is changed."""
    kept = survey(backend)
    out = Inventory(kept.live, damaged=[str(d) for d in kept.damaged])
    rows: dict[str, VersionRow] = {}
    for d in kept.damaged:
        if isinstance(d, VersionDamagedError):
            rows[d.version] = VersionRow(d.version, None, 0, 0, d.version == kept.live, d.problem)
    for info in kept.complete:
        damage = None
        try:
            verify_version(backend, info)  # and its base, for a delta
        except DamagedError as exc:
            damage = exc.problem
            out.damaged.append(str(exc))
        rows[info.name] = VersionRow(
            info.name,
            info.created,
            len(info.documents),
            info.chunk_count,
            info.name == kept.live,
            damage,
            info.base,
            info.stored_count,
            len(info.tombstones),
        )
    keep, _ = kept_versions(backend, settings)
    for name, row in rows.items():
        if name not in keep:
            row.base_of.extend(n for n in sorted(keep) if n in rows and rows[n].base == name)
    out.versions = [rows[n] for n in sorted(rows)]
    cache = cache_problem(settings.store.path / CACHE_FILE)
    if cache is not None:
        out.damaged.append(f"the embedding cache is damaged: {cache}")
    if isinstance(backend, EmbeddedBackend):
        out.reader_copies = len(backend.stale_readers())
    return out


def cache_problem(path: Path) -> str | None:
    """What is wrong with the embedding cache, read-only; None if it is fine or absent."""
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        return problem(db)
    finally:
        db.close()


@dataclass
class RepairReport:
    """What a repair found and did; `--json` prints it as one object."""

    found: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)
    removed_copies: int = 0
    ingest: IngestReport | None = None

    @property
    def exit_code(self) -> int:
        return self.ingest.exit_code if self.ingest is not None else 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ingest"] = self.ingest.to_dict() if self.ingest is not None else None
        data["exit_code"] = self.exit_code
        return data

    def summary(self) -> str:
        lines = [f"Found: {d}" for d in self.found] or ["Found nothing damaged."]
        lines += [f"Dropped damaged version {n}." for n in self.dropped]
        lines += [f"Moved the damaged {p} aside." for p in self.set_aside]
        if self.removed_copies:
            lines.append(f"Removed {self.removed_copies} reader copies of ended processes.")
        if self.ingest is not None:
            lines.append(self.ingest.summary())
        return "\n".join(lines)


def clear_damage(backend: Backend, settings: Settings) -> RepairReport:
    """Drop damaged versions and set a damaged cache aside; the caller rebuilds (under the writer lock)."""
    report = RepairReport()
    found = inventory(backend, settings)
    report.found = list(found.damaged)
    for row in found.versions:
        if row.damage is not None:
            backend.drop(row.name)  # removes the folder or collection; never opens it
            report.dropped.append(row.name)
    complete = {v.name for v in found.versions}
    for name in backend.names():
        if name not in complete:  # an interrupted writer's debris: under the writer lock, no one is writing it
            backend.drop(name)
            report.dropped.append(name)
    cache = settings.store.path / CACHE_FILE
    if cache_problem(cache) is not None:
        report.set_aside.append(set_aside(cache).name)
    if isinstance(backend, EmbeddedBackend):
        report.removed_copies = len(backend.clean_readers())
    return report
