"""The bot's whole config.yaml: ingest's sections, the answering core's and the Telegram front end's.

Each part declares its own sections (ingest/settings.py, bot/answer/settings.py, bot/telegram/settings.py);
this composes them and, unlike ingest's loader, forbids unknown top-level sections: the bot is the one
process that runs on every section, so `python -m bot` refuses a typo anywhere in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ConfigDict

from bot.answer.settings import AnswerSettings
from bot.telegram.settings import StateSettings, TelegramSettings
from ingest.settings import load_config


class Settings(AnswerSettings):
    """Every section of config.yaml, each validated at load; an unknown section or key is an error."""

    model_config = ConfigDict(extra="forbid")

    telegram: TelegramSettings = TelegramSettings()
    state: StateSettings = StateSettings()


def load_settings(path: Path | str, overrides: dict[str, Any] | None = None) -> Settings:
    """config.yaml, validated whole, with relative paths resolved (see ingest.settings.load_config)."""
    return load_config(path, Settings, overrides)
