"""The environment is read in one place per part: secrets through bot/env.py, ingest's folders through
ingest/env.py. Secrets come from the environment or a .env file beside config.yaml, never from config.yaml,
and each one is registered with the log redaction filter as it is read."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.env import TELEGRAM_TOKEN, load_secrets, revealed
from bot.settings import Settings, load_settings
from ingest.embedding.onnx_export import models_cache_dir
from ingest.env import environment, prepare_process
from ingest.logs import redactor
from tests.conftest import write_config

TOKEN = "4242424242:AAFakeTokenForTheEnvTests_abcdefghij"
WEBHOOK_SECRET = "hook-Secret_for_env_tests"
KEY = "sk-env-tests-0123456789abcdef"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A config naming its own variables, in a folder of its own (where a .env may be written)."""
    for name in (TELEGRAM_TOKEN, "ENV_TEST_HOOK", "ENV_TEST_KEY"):
        monkeypatch.delenv(name, raising=False)
    data = {"telegram": {"webhook_secret_env": "ENV_TEST_HOOK"}, "llm": {"api_key_env": "ENV_TEST_KEY"}}
    return load_settings(write_config(tmp_path / "config.yaml", data))


def test_secrets_are_none_when_unset_or_blank(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TELEGRAM_TOKEN, "   ")
    found = load_secrets(settings)
    assert (found.telegram_token, found.webhook_secret, found.llm_api_key) == (None, None, None)


def test_secrets_come_from_the_variables_config_yaml_names(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TELEGRAM_TOKEN, f" {TOKEN}\n")
    monkeypatch.setenv("ENV_TEST_HOOK", WEBHOOK_SECRET)
    monkeypatch.setenv("ENV_TEST_KEY", KEY)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "not-the-configured-name")
    found = load_secrets(settings)
    assert revealed(found.telegram_token) == TOKEN
    assert revealed(found.webhook_secret) == WEBHOOK_SECRET
    assert revealed(found.llm_api_key) == KEY


def test_a_dotenv_file_beside_the_config_fills_in_what_the_environment_lacks(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    (settings.config_dir / ".env").write_text(f"{TELEGRAM_TOKEN}=from-file\nENV_TEST_KEY={KEY}\n", encoding="utf-8")
    monkeypatch.setenv(TELEGRAM_TOKEN, TOKEN)
    found = load_secrets(settings)
    assert revealed(found.telegram_token) == TOKEN  # the environment wins
    assert revealed(found.llm_api_key) == KEY
    assert "ENV_TEST_KEY" not in os.environ  # read, not exported to the process


def test_secrets_never_show_in_reprs(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TELEGRAM_TOKEN, TOKEN)
    found = load_secrets(settings)
    assert TOKEN not in repr(found) and TOKEN not in str(found)


def test_every_secret_read_is_redacted_from_the_logs(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TELEGRAM_TOKEN, TOKEN)
    monkeypatch.setenv("ENV_TEST_HOOK", WEBHOOK_SECRET)
    monkeypatch.setenv("ENV_TEST_KEY", KEY)
    load_secrets(settings)
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "%s %s %s", (TOKEN, WEBHOOK_SECRET, KEY), None)
    redactor().filter(record)
    assert record.getMessage() == "[REDACTED] [REDACTED] [REDACTED]"


def test_ingest_reads_its_folders_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert models_cache_dir() == tmp_path / "cache" / "hiring-advisor" / "onnx"
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    assert models_cache_dir() == Path.home() / ".cache" / "hiring-advisor" / "onnx"
    monkeypatch.setenv("HIRING_ADVISOR_DATA_DIR", str(tmp_path / "data"))
    assert environment().data_dir == tmp_path / "data"


def test_prepare_process_keeps_a_value_the_user_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "true")
    prepare_process()
    assert os.environ["TOKENIZERS_PARALLELISM"] == "true"
    monkeypatch.delenv("TOKENIZERS_PARALLELISM")
    prepare_process()
    assert os.environ["TOKENIZERS_PARALLELISM"] == "false"
