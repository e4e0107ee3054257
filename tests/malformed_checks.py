"""What the malformed-file tests check after each ingest or upload: the live index as a comparable snapshot,
that nothing unclean or hidden reached it, that a refusal is one line; and the config with their parser limits."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings, load_settings
from ingest.store.backend import make_backend
from ingest.store.index import KnowledgeIndex
from tests.badfiles import BadFile
from tests.conftest import ROOT, write_config

PARSE_TIMEOUT_S = 3.0
PARSE_MEMORY_MB = 384

# Anything a reader would not see, or that breaks Chroma's full-text index or a batch: C0/C1 controls
# other than tab and newline, DEL, stray byte-order marks, and lone surrogates.
_UNCLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\ud800-\udfff]")

NOTE_BODY = b"# A note\n\nA CTO candidate note about infrastructure leadership and cloud strategy.\n"
"""An ordinary article body, for the tests of what happens to an upload's name."""


def config_with_parse_limits(root: Path, knowledge: Path, **telegram: Any) -> Settings:
    """The shipped config with a private knowledge copy and store, and the test's parser limits."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["store"]["path"] = str(root / "store")
    data["knowledge"].update(dir=str(knowledge), parse_timeout_s=PARSE_TIMEOUT_S, parse_memory_mb=PARSE_MEMORY_MB)
    data["gate"]["questions_file"] = str(knowledge / "golden.yaml")
    # The quality gate judges retrieval, not file handling; dozens of accepted junk articles would
    # fail it by design and keep the version they are in from going live.
    data["gate"]["enabled"] = False
    data["telegram"].update(telegram)
    return load_settings(write_config(root / "config.yaml", data))


@dataclass(frozen=True)
class Snapshot:
    """The live index as the brief compares it: version id, and (id -> document hash) of its chunks."""

    version: str | None
    docs: dict[str, str]
    texts: list[str]
    metas: list[dict[str, Any]]

    @property
    def digest(self) -> str:
        """Hash of the sorted set of (id, document hash)."""
        return hashlib.sha256(repr(sorted(self.docs.items())).encode()).hexdigest()

    def restricted(self, keep: set[str]) -> dict[str, str]:
        return {i: h for i, h in self.docs.items() if i.split("#", 1)[0] in keep}


def snapshot_store(settings: Settings) -> Snapshot:
    """Read the live version from the store (own backend, closed again before the next ingest)."""
    backend = make_backend(settings)
    try:
        name = backend.live_name()
        if name is None:
            return Snapshot(None, {}, [], [])
        got = backend.open_snapshot(name).get(include=["documents", "metadatas"])  # type: ignore[list-item]
        documents = list(got["documents"] or [])
        metas = [dict(m or {}) for m in got["metadatas"] or []]
    finally:
        backend.close()
    return _snapshot(name, list(got["ids"]), documents, metas)


def snapshot_index(index: KnowledgeIndex) -> Snapshot:
    """The same through the bot's own reader (in the Telegram tests: a second backend would share its copy)."""
    hits = index.chunks()
    return _snapshot(index.version().name, [h.id for h in hits], [h.text for h in hits], [h.metadata for h in hits])


def _snapshot(name: str, ids: list[str], documents: list[str], metas: list[dict[str, Any]]) -> Snapshot:
    docs = {
        i: hashlib.sha256(d.encode("utf-8", "surrogatepass")).hexdigest() for i, d in zip(ids, documents, strict=True)
    }
    return Snapshot(name, docs, documents, metas)


def assert_clean(snap: Snapshot, files: list[BadFile]) -> None:
    """No unclean character in any stored text or metadata value, and no hidden word anywhere."""
    hidden = {word for f in files for word in f.hidden}
    for text, meta in zip(snap.texts, snap.metas, strict=True):
        values = [text, *(str(v) for v in meta.values())]
        for value in values:
            bad = _UNCLEAN.search(value)
            assert bad is None, f"{meta.get('doc_id')}: {bad.group()!r} in {value[:80]!r}"
            value.encode("utf-8")  # strict: a lone surrogate raises
        leaked = [word for word in hidden if any(word in value for value in values)]
        assert not leaked, f"hidden text of {meta.get('doc_id')} reached the index: {leaked}"


def assert_one_line(reason: str) -> None:
    assert reason and "\n" not in reason and "\r" not in reason and len(reason) < 300, reason
