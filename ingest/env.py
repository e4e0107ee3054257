"""The one place ingest reads the process environment (the bot's secrets are bot/env.py's).

config.yaml holds the configuration; the environment only says where things go on this machine. Every
read is a field of one pydantic-settings model, read when asked (never at import time), so a test that
sets a variable sees it and there is one thing to audit.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_DIR_ENV = "HIRING_ADVISOR_DATA_DIR"
"""When set, relative data paths (store.path, state.path) resolve below this folder: tests point it at a temp dir."""


class Environment(BaseSettings):
    """The variables ingest honours; unset or empty ones are None."""

    model_config = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, extra="ignore", frozen=True)

    data_dir: Path | None = Field(None, validation_alias=DATA_DIR_ENV)
    cache_home: Path | None = Field(None, validation_alias="XDG_CACHE_HOME")
    """The XDG base folder for per-user caches (the ONNX exports); ~/.cache when unset."""


def environment() -> Environment:
    """The environment as it is now (read on each call: tests change it between calls)."""
    return Environment()


def prepare_process() -> None:
    """Process-wide defaults for libraries configured only through the environment; each entry point calls
    this first, before any such library is used.

    TOKENIZERS_PARALLELISM=false: the tokenizers library otherwise starts a thread pool on first use and
    then warns in, and disables itself for, every child forked after that. The library reads only this
    variable, so it is set here, once per process, rather than by the embedding code as a side effect of
    loading a model (where it used to be set, with the same value).
    A value the user set is kept.
    """
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
