"""The corpora the bench runs on: the shipped knowledge base, or N generated articles, each in its own temp dir.

Generated articles come from tests/corpus.py with a fixed seed, so every run measures the same bytes.
Each corpus gets two data folders: `data-inproc` (the in-process ingest and the warm figures) and
`data-cli` (the CLI ingest, cold starts and the bot process), so each fresh ingest really starts
from an empty store and an empty embedding cache. Paths in the configs are absolute, so
HIRING_ADVISOR_DATA_DIR (which the bench also sets for its child processes) cannot move them.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings, load_settings
from ingest.settings import DATA_DIR_ENV
from ingest.store.backend import make_backend
from tests.corpus import generate_corpus

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "knowledge"
SEED = 20261122
"""The generated corpora's seed: fixed, so every bench run measures the same articles."""


@dataclass
class Corpus:
    name: str
    root: Path
    knowledge: Path
    articles: int
    generated: bool
    config: Path
    cli_config: Path
    settings: Settings
    cli_settings: Settings

    def env(self) -> dict[str, str]:
        """The environment of the bench's child processes: offline, unbuffered, data under the corpus dir."""
        return {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "ANONYMIZED_TELEMETRY": "False",
            "PYTHONUNBUFFERED": "1",  # so "first answer printed" is when it is written, not at exit
            DATA_DIR_ENV: str(self.root),
        }


def product_config() -> dict[str, Any]:
    """The repo's config.yaml: the bench measures the product as it ships, not the code's defaults."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


def _config(root: Path, knowledge: Path, tag: str, kb: bool) -> dict[str, Any]:
    data = root / f"data-{tag}"
    config = product_config()
    config["knowledge"] = {**config.get("knowledge", {}), "dir": str(knowledge)}
    config["store"] = {**config.get("store", {}), "path": str(data / "store")}
    config["state"] = {**config.get("state", {}), "path": str(data / "state.sqlite3")}
    # The golden questions gate the shipped articles; a generated corpus has no article they expect.
    gate = {"enabled": True, "questions_file": str(knowledge / "golden.yaml")} if kb else {"enabled": False}
    config["gate"] = {**config.get("gate", {}), **gate}
    return config


def _write(path: Path, data: dict[str, Any]) -> Settings:
    """Validate through bot.settings first, then write, then load it the way every CLI does."""
    Settings.model_validate({**data, "config_dir": path.parent})
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_settings(path)


def build_corpus(size: str, workdir: Path) -> Corpus:
    """`size` is "kb" (the shipped articles and golden.yaml) or a number of generated articles."""
    root = workdir / f"corpus-{size}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    knowledge = root / "knowledge"
    if size == "kb":
        shutil.copytree(KNOWLEDGE, knowledge)
        articles = len([p for p in knowledge.glob("*.md") if p.name != "README.md"])
    else:
        articles = len(generate_corpus(knowledge, int(size), seed=SEED))
    kb = size == "kb"
    config, cli_config = root / "config.yaml", root / "config-cli.yaml"
    return Corpus(
        name=size,
        root=root,
        knowledge=knowledge,
        articles=articles,
        generated=not kb,
        config=config,
        cli_config=cli_config,
        settings=_write(config, _config(root, knowledge, "inproc", kb)),
        cli_settings=_write(cli_config, _config(root, knowledge, "cli", kb)),
    )


def change_one_article(corpus: Corpus, round_no: int) -> str:
    """Append a short section to one article (the same one every round), so exactly one file changes."""
    articles = sorted(p for p in corpus.knowledge.glob("*.md") if p.name != "README.md")
    target = articles[len(articles) // 2]
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(
            f"\n\n## Revision {round_no}\n\nSearch committees revisited this advice in round {round_no} "
            "and found that references from clinicians still matter most.\n"
        )
    return target.name


def chunk_counts(settings: Settings) -> dict[str, int]:
    """Chunks per article in the live version, from its manifest (what our chunker made)."""
    backend = make_backend(settings)
    try:
        live = backend.live_name()
        info = backend.info(live) if live else None
        return {doc: len(entry.chunk_hashes) for doc, entry in (info.documents if info else {}).items()}
    finally:
        backend.close()


def python() -> str:
    """The interpreter the bench runs under (the project's venv), for its child processes."""
    return sys.executable
