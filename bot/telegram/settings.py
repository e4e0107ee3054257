"""The Telegram front end's sections of config.yaml: telegram (the Bot API, access, webhook) and state."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, StrictFloat, StrictInt

from ingest.settings import DataPath, Section


class TelegramSettings(Section):
    """The Telegram front end. The token comes from TELEGRAM_BOT_TOKEN, never from this file.

    /ingest_url's limits are ingest's `fetch` section (they were url_* keys here).
    """

    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    admin_ids: tuple[StrictInt, ...] = ()
    allowed_ids: tuple[StrictInt, ...] = ()
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: StrictInt = Field(8443, ge=1, le=65535)
    webhook_secret_env: str = Field("TELEGRAM_WEBHOOK_SECRET", pattern=r"^[A-Z_][A-Z0-9_]*$")
    rate_limit_per_minute: StrictInt = Field(20, ge=1)
    max_retries: StrictInt = Field(3, ge=0, le=10)
    stream_edit_interval_s: StrictFloat = Field(1.0, gt=0)


class StateSettings(Section):
    """What the bot remembers (SQLite): conversations, feedback and unanswered questions."""

    path: DataPath = Path("data/state.sqlite3")
    retention_days: StrictInt = Field(30, ge=1)
    max_turns: StrictInt = Field(6, ge=0, le=50)
