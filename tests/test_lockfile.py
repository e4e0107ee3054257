"""The lock files (issue 12): current with pyproject.toml, the runtime a subset of the tested set, and
a stale lock refused by `make test` in words that say what to do."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCKS = [ROOT / "requirements-dev.lock", ROOT / "requirements.lock"]


def lockfile() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lockfile", ROOT / ".ci" / "lockfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of pyproject.toml and the locks, so a test may edit them."""
    for name in ("pyproject.toml", *(lock.name for lock in LOCKS)):
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_committed_locks_are_current() -> None:
    module = lockfile()
    recorded = {lock.name: lock.read_text(encoding="utf-8") for lock in LOCKS}
    digest = module.declarations_hash(ROOT / "pyproject.toml")
    assert all(module.STAMP + digest in text for text in recorded.values())


def test_a_changed_dependency_makes_the_lock_stale(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = lockfile()
    locks = [project / lock.name for lock in LOCKS]
    assert module.check(locks) == 0
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"tqdm>=4.66"', '"tqdm>=4.67"'), encoding="utf-8")
    assert module.check(locks) == 1
    assert "run `make lock`" in capsys.readouterr().err
    module.stamp(locks)
    assert module.check(locks) == 0


def test_settings_that_are_not_dependencies_leave_the_lock_current(project: Path) -> None:
    module = lockfile()
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("line-length = 120", "line-length = 100"), encoding="utf-8")
    assert module.check([project / lock.name for lock in LOCKS]) == 0


def test_the_runtime_lock_is_the_tested_set_less_the_tools() -> None:
    module = lockfile()
    dev, runtime = (module.pins(lock) for lock in LOCKS)
    assert runtime.items() <= dev.items(), "the runtime pins a version the tests never ran"
    # What only the tests and the bench use does not ship with the bot.
    for tool in ("pytest", "hypothesis", "mypy", "ruff", "psutil", "rank-bm25", "pip-tools", "uv", "langchain-chroma"):
        assert tool in dev and tool not in runtime, tool


def test_torch_is_the_cpu_build_on_this_machines_disk() -> None:
    for lock in LOCKS:
        assert lockfile().pins(lock)["torch"] == "2.13.0+cpu"
