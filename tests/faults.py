"""Faults at rest for tests/test_faults.py: a pristine store to copy, the faults, and the CLI journeys.

Every journey is a real `python -m ...` process, as an admin or a user would run it. When the tests
run as root (CI does), those processes run without the capabilities that let root read any file
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so "no read permission" is a real EACCES for them too.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import Settings, load_settings
from ingest.errors import VersionDamagedError
from ingest.settings import DATA_DIR_ENV
from ingest.store.manifest import VersionInfo, verify
from tests.conftest import KNOWLEDGE, write_config

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2
ARTICLE = "cmio-next-generation-hillary-ross.md"
"""The article faults hit: not the one QUESTION is about (deleting a file is how an admin removes it)."""
QUESTION = "What does Bonnie Siegel say about CTO candidates from vendors?"


STATE_SCRIPT = """
import json, sys
from bot.settings import load_settings
from bot.telegram.state import StateStore
cfg = load_settings(sys.argv[1]).state
with StateStore(cfg.path, cfg.retention_days, cfg.max_turns) as state:
    print(json.dumps({"recovered": state.recovered, "history": state.history(1, None)}))
"""
SEEDED_TURN = "Who should the CTO report to?"


def _drop_file_capabilities() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.out))

    @property
    def text(self) -> str:
        return self.out + self.err


@dataclass
class World:
    """One copy of a knowledge base, a store with two versions (v000002 live), a cache and a state DB."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def kb(self) -> Path:
        return self.root / "knowledge"

    @property
    def settings(self) -> Settings:
        previous = os.environ.get(DATA_DIR_ENV)
        os.environ[DATA_DIR_ENV] = str(self.data)
        try:
            return load_settings(self.config)
        finally:
            if previous is not None:
                os.environ[DATA_DIR_ENV] = previous

    @property
    def store(self) -> Path:
        return self.settings.store.path

    def version(self, name: str) -> Path:
        return self.store / "versions" / name

    def run(self, *args: str, timeout: float = 300) -> Run:
        """`python ARGS... CONFIG_PATH` as a user would run it (the config path goes last)."""
        env = {**os.environ, DATA_DIR_ENV: str(self.data), "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
        proc = subprocess.run(
            [sys.executable, *args, str(self.config)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=_drop_file_capabilities if os.geteuid() == 0 else None,
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)

    def ask(self) -> Run:
        return self.run("-m", "bot", "ask", "--json", QUESTION, "--config")

    def ingest(self, *flags: str) -> Run:
        return self.run("-m", "ingest", "--json", "--no-progress", *flags, "--config")

    def open_state(self) -> Run:
        """The bot's start-up step that opens the state DB, and what it remembers of the seeded turn."""
        return self.run("-c", STATE_SCRIPT)

    def intact_versions(self) -> set[str]:
        """Versions whose manifest reads and whose files match it."""
        out = set()
        for folder in sorted((self.store / "versions").glob("v*")):
            try:
                info = VersionInfo.from_json((folder / "VERSION.json").read_text(encoding="utf-8"))
                verify(info, folder)
            except (OSError, ValueError, VersionDamagedError):
                continue
            out.add(folder.name)
        return out


def build_world(root: Path) -> World:
    """Write the config and copy the articles; the caller ingests (it has the shared model)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(KNOWLEDGE, root / "knowledge")
    write_config(
        root / "config.yaml",
        {"knowledge": {"dir": str(root / "knowledge")}, "store": {"path": "store"}, "gate": {"enabled": False}},
    )
    return World(root)


def copy_world(pristine: World, dest: Path) -> World:
    shutil.copytree(pristine.root, dest, symlinks=True)
    world = World(dest)
    write_config(
        world.config,
        {"knowledge": {"dir": str(world.kb)}, "store": {"path": "store"}, "gate": {"enabled": False}},
    )
    return world


# ------------------------------------------------------------------------------------------ faults


def truncate(path: Path) -> None:
    """Cut to half its size, as a disk error or a half-copied backup would (an empty file is valid SQLite)."""
    with open(path, "r+b") as fh:
        fh.truncate(max(1, path.stat().st_size // 2))


def random_bytes(path: Path) -> None:
    """The same size, other content: what no size check can catch."""
    size = max(path.stat().st_size, 64)
    path.write_bytes(os.urandom(size))


def delete(path: Path) -> None:
    path.unlink()


def no_read_permission(path: Path) -> None:
    path.chmod(0)


FAULTS: dict[str, Callable[[Path], None]] = {
    "truncate": truncate,
    "random bytes": random_bytes,
    "delete": delete,
    "no read permission": no_read_permission,
}


def parts(world: World) -> dict[str, list[Path]]:
    """Each part a fault can hit, as the files it is made of."""
    live, older = world.version("v000002"), world.version("v000001")
    return {
        "live version files": [p for p in sorted(live.rglob("*")) if p.is_file() and p.name != "VERSION.json"],
        "older version files": [p for p in sorted(older.rglob("*")) if p.is_file() and p.name != "VERSION.json"],
        "live manifest": [live / "VERSION.json"],
        "older manifest": [older / "VERSION.json"],
        "LIVE pointer": [world.store / "LIVE"],
        "embedding cache": [world.store / "embeddings.sqlite3"],
        "state DB": [world.settings.state.path],
        "writer lock": [world.store / ".ingest.lock"],
        "article file": [world.kb / ARTICLE],
    }


def hit(world: World, part: str, fault: str) -> None:
    for path in parts(world)[part]:
        if path.stat().st_size == 0 and fault in ("truncate", "random bytes"):
            path.write_bytes(os.urandom(64) if fault == "random bytes" else b"")
            continue
        FAULTS[fault](path)


def restore_permissions(root: Path) -> None:
    """So the test's own clean-up (and a repair's moving aside) can read everything again."""
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)
