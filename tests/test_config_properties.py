"""Properties of the config loader's error messages, checked with hypothesis on generated bad configs:
every bad value is refused with a line that names its dotted key.

Example counts per profile ("fast", "stress"): tests/property_profiles.py.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import pytest
import yaml
from annotated_types import Ge, Gt, Le, Lt
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from bot.settings import Settings, load_settings
from ingest.errors import ConfigError
from tests.property_profiles import TIMEOUT, examples

pytestmark = TIMEOUT


def _leaves(model: type[BaseModel], prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(dotted key, annotation, field info) for every setting, found from the models themselves so a new
    key is covered without touching this test."""
    out: list[tuple[str, Any, Any]] = []
    for name, info in model.model_fields.items():
        if name == "config_dir":
            continue
        key = f"{prefix}{name}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out += _leaves(annotation, key + ".")
        else:
            out.append((key, annotation, info))
    return out


LEAVES = _leaves(Settings)
SECTIONS = [name for name in Settings.model_fields if name != "config_dir"]
WRONG_SHAPES: list[Any] = [[1, 2], {"nested": {"deeper": 1}}, "text", 3, 2.5, True]


def _base(annotation: Any) -> tuple[Any, bool]:
    """The annotation without Optional, and whether None is allowed."""
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0], len(args) < len(get_args(annotation))
    return annotation, False


def _bounds(info: Any) -> list[Any]:
    """Values just outside the field's numeric range."""
    out: list[Any] = []
    for meta in info.metadata:
        if isinstance(meta, Ge):
            out.append(meta.ge - 1)
        if isinstance(meta, Gt):
            out.append(meta.gt)
        if isinstance(meta, Le):
            out.append(meta.le + 1)
        if isinstance(meta, Lt):
            out.append(meta.lt)
    return out


def bad_values(annotation: Any, info: Any) -> st.SearchStrategy[Any]:
    """Values that must be refused for a key of this type: wrong types, out of range, wrong shapes."""
    base, optional = _base(annotation)
    candidates: list[Any] = [{"nested": 1}, [[1]]]
    if not optional:
        candidates.append(None)
    if base is int:
        candidates += ["many", "8000", 1.5, True, [1], math.inf, *_bounds(info)]
    elif base is float:
        candidates += ["fast", True, [1.0], math.inf, -math.inf, math.nan, *_bounds(info)]
    elif base is bool:
        candidates += ["maybe", 2, 1, 0.5, [True]]
    elif base is str:
        candidates += [5, 1.5, True, ["a"]]
        pattern = next((m.pattern for m in info.metadata if hasattr(m, "pattern") and m.pattern), None)
        if pattern:
            candidates += ["has space", "", "-lead", "ü" * 3]
        if any(getattr(m, "min_length", None) for m in info.metadata):
            candidates.append("")
    elif base is Path:
        candidates += [5, True, ["a"]]
    elif get_origin(base) is Literal:
        candidates += ["not-an-option", 1, True, ["embedded"]]
    elif get_origin(base) is tuple:
        (item, *_) = get_args(base)
        candidates += ["text", 5, {"a": 1}]
        if item is int:
            candidates += [["x"], [True], [1.5], [None]]
        elif item is str:
            candidates += [[1], [None], [["x"]]]
        else:  # a tuple of models (gate.questions)
            candidates += [["just text"], [{"question": "Who owns it?"}], [{"question": "Who?", "expect": "a", "x": 1}]]
    else:
        raise AssertionError(f"no bad values known for {annotation!r}: extend bad_values()")
    return st.sampled_from(candidates)


def _with(key: str, value: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    node = data
    *parents, leaf = key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
    return data


@st.composite
def bad_configs(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """(config, the dotted key its error must name)."""
    kind = draw(st.sampled_from(["value", "value", "value", "unknown", "section_shape", "top_unknown", "points"]))
    if kind == "points":  # one key against another: fewer max_points than min_points
        low = draw(st.integers(2, 5))
        return {"advisor": {"min_points": low, "max_points": draw(st.integers(1, low - 1))}}, "advisor.max_points"
    if kind == "value":
        key, annotation, info = draw(st.sampled_from(LEAVES))
        return _with(key, draw(bad_values(annotation, info))), key
    if kind == "unknown":
        section = draw(st.sampled_from(SECTIONS))
        name = draw(st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True))
        if name in Settings.model_fields[section].annotation.model_fields:  # type: ignore[union-attr]
            name += "_typo"
        return {section: {name: draw(st.sampled_from(WRONG_SHAPES))}}, f"{section}.{name}"
    if kind == "section_shape":
        section = draw(st.sampled_from(SECTIONS))
        return {section: draw(st.sampled_from([[1, 2], "text", 3, True]))}, section
    name = draw(st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True).filter(lambda n: n not in Settings.model_fields))
    return {name: draw(st.sampled_from(WRONG_SHAPES))}, name


@pytest.fixture(scope="module")
def config_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cfg") / "config.yaml"


@examples(150, 3000)
@given(case=bad_configs())
def test_config_errors_name_the_key(config_path: Path, case: tuple[dict[str, Any], str]) -> None:
    """Every bad value is refused, with a line that names its dotted key."""
    data, key = case
    path = config_path
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    assert re.search(rf": {re.escape(key)}(?:\.[\w.]+)?: ", message), (data, message)
    assert "\n" not in message or all(line.startswith(str(path)) for line in message.splitlines())


def test_an_override_below_a_non_mapping_names_the_key(config_path: Path) -> None:
    """load_settings(overrides=...) into a section that is not a mapping: a ConfigError, not a TypeError."""
    config_path.write_text("store: 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r": store: must be a mapping to set store\.port"):
        load_settings(config_path, overrides={"store.port": 8001})


def test_every_key_has_bad_values() -> None:
    """The generator knows every setting's type (a new type would otherwise go untested)."""
    for key, annotation, info in LEAVES:
        assert bad_values(annotation, info) is not None, key
    assert len(LEAVES) >= 50


def test_the_shipped_config_is_valid() -> None:
    """Strict types must still accept every value config.yaml documents."""
    root = Path(__file__).resolve().parent.parent
    assert load_settings(root / "config.yaml").store.port == 8000
