"""What an ingest run tells an admin: the CLI prints it, `--json` prints it as one object, the chat quotes it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ingest.errors import EXIT_PARTIAL, EXIT_QUALITY
from ingest.gate import GateReport


@dataclass(frozen=True)
class FileError:
    path: str
    reason: str

    def line(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class IngestReport:
    """What an admin needs after a run; `--json` prints it as one object."""

    status: str = "unchanged"  # unchanged | activated | gate_failed | failed
    version: str | None = None
    previous: str | None = None
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_after_error: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)
    """Damaged parts of the store this run found (and built around: it never builds on them)."""
    chunks_embedded: int = 0
    chunks_reused: int = 0
    chunks_total: int = 0
    pruned: list[str] = field(default_factory=list)
    written: str = ""
    """"full", or "delta over <base>" (ingest.store.layers): what the new version wrote."""
    live_seconds: float = 0.0
    """From the start of the run until the new version was live."""
    compacted: list[str] = field(default_factory=list)
    """Bases written again without the records no kept version shows (ingest.store.compact), after the switch."""
    compact_seconds: float = 0.0
    compact_error: str = ""
    """Why compaction failed after the switch (the new version is live; the next ingest tries again)."""
    gate: GateReport | None = None
    seconds: float = 0.0
    parser_peak_mb: dict[str, float] = field(default_factory=dict)
    """Peak memory of the PDF/DOCX/HTML parser workers, per format (to size knowledge.parse_memory_mb)."""

    @property
    def exit_code(self) -> int:
        """0 all good; 1 some files failed (the rest went live); 3 the gate refused activation."""
        if self.status == "gate_failed":
            return EXIT_QUALITY
        return EXIT_PARTIAL if self.errors else 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["exit_code"] = self.exit_code
        return data

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.changed)} changed",
            f"{len(self.removed)} removed",
            f"{len(self.unchanged)} unchanged",
        ]
        head = {
            "unchanged": f"Nothing changed; {self.version} stays live.",
            "activated": f"Version {self.version} is live (was {self.previous or 'none'}).",
            "gate_failed": f"Quality gate failed; {self.previous or 'no version'} stays live.",
            "failed": "Nothing was ingested.",
        }[self.status]
        lines = [
            head,
            f"Articles: {', '.join(parts)}." + (f" {len(self.errors)} failed." if self.errors else ""),
            f"Chunks: {self.chunks_embedded} embedded, {self.chunks_reused} reused, {self.chunks_total} in the index.",
            f"Took {self.seconds:.1f} s.",
        ]
        if self.status == "activated":
            lines[-1] = f"Took {self.seconds:.1f} s; live after {self.live_seconds:.1f} s ({self.written} version)."
        if self.compact_error:
            lines.append(f"WARNING compaction failed, the next ingest retries it: {self.compact_error}")
        if self.compacted:
            lines.append(
                f"Compacted base {', '.join(self.compacted)} (text no kept version shows) after the switch, "
                f"in {self.compact_seconds:.1f} s."
            )
        lines += [f"DAMAGED {d}" for d in self.damaged]
        lines += [f"ERROR {e.line()}" for e in self.errors]
        lines += [f"kept the live copy of {p} because the new file failed" for p in self.kept_after_error]
        lines += [f"skipped {p} (not a supported format)" for p in self.skipped]
        if self.gate is not None and not self.gate.passed:
            for r in self.gate.failures:
                lines.append(f"GATE '{r.question}' expected {r.expect} in the top {self.gate.k}, got {r.found}")
            lines.append("Fix the article or the golden questions, or re-run with --force to activate anyway.")
        return "\n".join(lines)
