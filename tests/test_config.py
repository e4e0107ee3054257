"""Config is validated at load: each bad value gets an error naming its key; paths resolve sensibly.

Each part validates what it owns: `python -m bot` the whole file (bot.settings), `python -m ingest` its own
sections only (ingest.settings), strictly inside them.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main as bot_main
from bot.settings import load_settings
from ingest.errors import EXIT_USAGE, ConfigError
from ingest.settings import DATA_DIR_ENV, MOVED
from ingest.settings import load_settings as load_ingest_settings
from tests.conftest import ROOT, write_config


def test_shipped_config_loads_with_paths_resolved_against_its_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_DIR_ENV)
    settings = load_settings(ROOT / "config.yaml")
    assert settings.knowledge.dir == ROOT / "knowledge"
    assert settings.store.path == ROOT / "data" / "store"
    assert settings.store.mode == "embedded"
    assert settings.state.path == ROOT / "data" / "state.sqlite3"
    assert settings.gate.questions_file == ROOT / "knowledge" / "golden.yaml"


def test_omitted_sections_resolve_their_default_paths_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_DIR_ENV)
    settings = load_settings(write_config(tmp_path / "c.yaml", {}))
    assert settings.knowledge.dir == tmp_path / "knowledge"
    assert settings.store.path == tmp_path / "data" / "store"
    assert settings.state.path == tmp_path / "data" / "state.sqlite3"
    assert settings.gate.questions_file is None


def test_data_dir_env_moves_relative_store_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "elsewhere"))
    settings = load_settings(write_config(tmp_path / "c.yaml", {"store": {"path": "s"}, "state": {"path": "st.db"}}))
    assert settings.store.path == tmp_path / "elsewhere" / "s"
    assert settings.state.path == tmp_path / "elsewhere" / "st.db"
    assert settings.knowledge.dir == tmp_path / "knowledge"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"store": {"mode": "cloud"}}, "store.mode"),
        ({"store": {"port": 0}}, "store.port"),
        ({"store": {"keep_versions": 1}}, "store.keep_versions"),
        ({"store": {"collection_prefix": "a b"}}, "store.collection_prefix"),
        ({"knowledge": {"dirr": "x"}}, "knowledge.dirr"),
        ({"embedding": {"batch_size": "many"}}, "embedding.batch_size"),
        ({"chunking": {"max_tokens": 4}}, "chunking.max_tokens"),
        ({"gate": {"questions": [{"question": "Who?"}]}}, "gate.questions.0.expect"),
        ({"fetch": {"max_mb": 0}}, "fetch.max_mb"),
        ({"logging": {"level": "LOUD"}}, "logging.level"),
        ({"advisor": {"k": 0}}, "advisor.k"),
        ({"llm": {"api_key_env": "lower"}}, "llm.api_key_env"),
        ({"telegram": {"admin_ids": ["me"]}}, "telegram.admin_ids.0"),
        ({"state": {"retention_days": 0}}, "state.retention_days"),
        ({"nonsense": 1}, "nonsense"),
    ],
)
def test_bad_values_name_their_key(tmp_path: Path, data: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write_config(tmp_path / "c.yaml", data))
    assert f": {key}: " in str(err.value)


def test_ingest_ignores_the_other_parts_sections_but_not_typos_in_its_own(tmp_path: Path) -> None:
    others = {"advisor": {"k": 4}, "telegram": {"admin_ids": [1]}, "a_future_part": {"x": 1}}
    settings = load_ingest_settings(write_config(tmp_path / "c.yaml", {**others, "store": {"port": 8001}}))
    assert settings.store.port == 8001
    assert not hasattr(settings, "advisor")
    with pytest.raises(ConfigError, match=r": store\.prot: unknown key"):
        load_ingest_settings(write_config(tmp_path / "c.yaml", {**others, "store": {"prot": 8001}}))


@pytest.mark.parametrize("loader", [load_settings, load_ingest_settings], ids=["bot", "ingest"])
@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_a_moved_key_is_refused_with_its_new_place(tmp_path: Path, loader: object, old: str, new: str) -> None:
    section, key = old.split(".")
    with pytest.raises(ConfigError, match=rf": {old}: moved to {new}$"):
        loader(write_config(tmp_path / "c.yaml", {section: {key: 1}}))  # type: ignore[operator]


def test_fetch_limits_are_ingest_settings(tmp_path: Path) -> None:
    data = {"fetch": {"timeout_s": 3, "max_mb": 1.5, "allow_loopback": True}}
    fetch = load_ingest_settings(write_config(tmp_path / "c.yaml", data)).fetch
    assert (fetch.timeout_s, fetch.max_mb, fetch.allow_loopback) == (3, 1.5, True)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("store: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping"):
        load_settings(tmp_path / "list.yaml")


@pytest.mark.parametrize(
    ("data", "key"),
    [({"telegram": {"admin_idz": [1]}}, "telegram.admin_idz"), ({"advisr": {"k": 3}}, "advisr")],
)
def test_python_m_bot_rejects_an_unknown_key_anywhere_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: dict[str, object], key: str
) -> None:
    cfg = write_config(tmp_path / "c.yaml", data)
    assert bot_main(["--config", str(cfg), "sources"], out=io.StringIO()) == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"config error: {cfg}: {key}: unknown key" in err and "Traceback" not in err


def test_cli_reports_config_errors_in_one_clean_line(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", {"store": {"mode": "cloud"}})
    out = subprocess.run(
        [sys.executable, "-m", "ingest", "--config", str(cfg)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2
    assert "store.mode" in out.stderr and "Traceback" not in out.stderr


def test_python_m_ingest_refuses_a_misspelt_section_of_its_own_and_keeps_the_bots(tmp_path: Path) -> None:
    """Ingest ignores the bot's sections, but "knowldge" is a typo of its own, not someone else's section:
    run on the defaults it would index the wrong folder."""
    cfg = write_config(tmp_path / "c.yaml", {"knowldge": {"dir": "articles"}, "telegram": {"admin_ids": [1]}})
    with pytest.raises(ConfigError, match=r": knowldge: unknown key \(did you mean knowledge\?"):
        load_ingest_settings(cfg)
    write_config(cfg, {"knowledge": {"dir": "articles"}, "telegram": {"admin_ids": [1]}, "llm": {}})
    assert load_ingest_settings(cfg).knowledge.dir.name == "articles"
