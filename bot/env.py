"""The one place secrets are read: the process environment, optionally seeded from a .env file.

Secrets never live in config.yaml; keeping every read here means there is exactly one thing to audit.
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

from ingest.logs import redactor

TELEGRAM_TOKEN = "TELEGRAM_BOT_TOKEN"  # noqa: S105 - the variable's name, not a secret


def load_env(config_dir: Path) -> None:
    """Load `.env` beside config.yaml (if any) without overriding variables already set."""
    env_file = config_dir / ".env"
    if env_file.is_file():
        load_dotenv(env_file, override=False)


def secret(name: str) -> str | None:
    """A secret from the environment, or None when unset or empty.

    Every secret read is registered with the log redaction filter here, where it enters the process, so
    no later code path (a webhook's setWebhook call, an LLM client's debug output) can forget to.
    """
    value = os.environ.get(name, "").strip()
    if value:
        redactor().add(value)
    return value or None
