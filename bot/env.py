"""The one place the bot reads secrets: the process environment, or a `.env` file beside config.yaml.

Secrets never live in config.yaml; config.yaml only names the variables that hold the webhook secret
and the LLM key. Every secret enters the process through `load_secrets`, which registers it with the
log redaction filter there, so no later code path (a webhook's setWebhook call, an LLM client's debug
output) can forget to. (Ingest's own environment variables are ingest/env.py's.)
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, create_model, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.settings import Settings
from ingest.logs import redactor

TELEGRAM_TOKEN = "TELEGRAM_BOT_TOKEN"  # noqa: S105 - the variable's name, not a secret
ENV_FILE = ".env"
"""Beside config.yaml; a variable set in the environment wins over the same one in this file."""


class Secrets(BaseSettings):
    """The bot's secrets, each None when unset or blank. SecretStr keeps them out of reprs and tracebacks.

    The variable names here are the defaults; `load_secrets` reads the ones config.yaml names.
    """

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)

    telegram_token: SecretStr | None = Field(None, validation_alias=TELEGRAM_TOKEN)
    webhook_secret: SecretStr | None = Field(None, validation_alias="TELEGRAM_WEBHOOK_SECRET")
    llm_api_key: SecretStr | None = Field(None, validation_alias="OPENAI_API_KEY")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        """Surrounding whitespace is a copy-paste accident; a blank value means not set."""
        if isinstance(value, str):
            return value.strip() or None
        return value

    def model_post_init(self, context: Any, /) -> None:
        for value in (self.telegram_token, self.webhook_secret, self.llm_api_key):
            if value is not None:
                redactor().add(value.get_secret_value())


def load_secrets(settings: Settings) -> Secrets:
    """The secrets as the environment (then `.env`) holds them now, under the names config.yaml gives.

    The names are configuration, so the model is derived per call with those names as its aliases
    (pydantic-settings takes a field's variable name from its alias).
    """
    named = create_model(
        "ConfiguredSecrets",
        __base__=Secrets,
        webhook_secret=(SecretStr | None, Field(None, validation_alias=settings.telegram.webhook_secret_env)),
        llm_api_key=(SecretStr | None, Field(None, validation_alias=settings.llm.api_key_env)),
    )
    return named(_env_file=settings.config_dir / ENV_FILE, _env_file_encoding="utf-8")  # type: ignore[call-arg]


def revealed(value: SecretStr | None) -> str | None:
    """The plain text of a secret, where a library needs it (the bot token, a provider's key)."""
    return value.get_secret_value() if value is not None else None
