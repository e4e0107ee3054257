"""A built store copied as an older or damaged one: what the stored-lexicon and stored-keyword tests open to
prove a bot still answers from a version written before those were stored, or with them garbled."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from bot.settings import Settings, load_settings
from ingest.embedding.factory import Embedder
from ingest.store.index import KnowledgeIndex
from tests.conftest import ROOT, write_config


def copy_without_stored(settings: Settings, tmp_path: Path, damage: bool = False) -> Settings:
    """The built store as a store written before anything was stored for readers (no lexicons table), or,
    with `damage`, with every stored keyword blob garbled."""
    shutil.copytree(settings.store.path, tmp_path / "store")
    with sqlite3.connect(tmp_path / "store" / "embeddings.sqlite3") as db:
        if damage:
            db.execute("UPDATE lexicons SET body = X'504B0304DEADBEEF' WHERE substr(body, 1, 2) = X'504B'")
        else:
            db.execute("DROP TABLE lexicons")
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["store"]["path"] = str(tmp_path / "store")
    data["knowledge"]["dir"] = str(settings.knowledge.dir)
    data["gate"]["questions_file"] = str(settings.knowledge.dir / "golden.yaml")
    return load_settings(write_config(tmp_path / "config.yaml", data))


@contextmanager
def opened_copy(
    settings: Settings, tmp_path: Path, embedder: Embedder, damage: bool = False
) -> Iterator[tuple[Settings, KnowledgeIndex]]:
    """`copy_without_stored`'s settings and an index open on them (a new bot process's), closed afterwards."""
    copied = copy_without_stored(settings, tmp_path, damage)
    index = KnowledgeIndex(copied, embedder)
    try:
        yield copied, index
    finally:
        index.close()
