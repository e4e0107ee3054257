"""Config is validated at load: each bad value gets an error naming its key; paths resolve sensibly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ingest.errors import ConfigError
from ingest.settings import DATA_DIR_ENV, load_settings
from tests.conftest import ROOT, write_config


def test_shipped_config_loads_with_paths_resolved_against_its_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_DIR_ENV)
    settings = load_settings(ROOT / "config.yaml")
    assert settings.knowledge.dir == ROOT / "knowledge"
    assert settings.store.path == ROOT / "data" / "store"
    assert settings.store.mode == "embedded"
    assert settings.state.path == ROOT / "data" / "state.sqlite3"
    assert settings.gate.questions_file == ROOT / "knowledge" / "golden.yaml"


def test_data_dir_env_moves_relative_store_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "elsewhere"))
    settings = load_settings(write_config(tmp_path / "c.yaml", {"store": {"path": "s"}}))
    assert settings.store.path == tmp_path / "elsewhere" / "s"
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
        ({"logging": {"level": "LOUD"}}, "logging.level"),
        ({"nonsense": 1}, "nonsense"),
    ],
)
def test_bad_values_name_their_key(tmp_path: Path, data: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write_config(tmp_path / "c.yaml", data))
    assert f": {key}: " in str(err.value)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("store: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping"):
        load_settings(tmp_path / "list.yaml")


def test_cli_reports_config_errors_in_one_clean_line(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.yaml", {"store": {"mode": "cloud"}})
    out = subprocess.run(
        [sys.executable, "-m", "ingest", "--config", str(cfg)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2
    assert "store.mode" in out.stderr and "Traceback" not in out.stderr
