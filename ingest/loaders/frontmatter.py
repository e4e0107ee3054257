"""A Markdown file's YAML front matter: found, bounded, parsed safely, and copied into plain metadata.

YAML is parsed in-process (it is small and PyYAML's safe loader builds no objects), so the text's
size and nesting depth are checked first and the parsed values are copied under a node budget:
a hostile file must cost milliseconds, never seconds or the C stack.
"""

from __future__ import annotations

import datetime as dt
import re

import yaml

from ingest.loaders.cleaning import clean_meta_string, clean_text
from ingest.loaders.errors import LoadError
from ingest.loaders.limits import human_size

_FRONT_MATTER_END_RE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
# Front matter is a handful of keys; a budget on converted values stops a YAML alias
# "billion laughs" from expanding exponentially when we copy it into plain JSON types.
_META_NODE_BUDGET = 10_000
# Real front matter is well under 2 KB. The limits keep YAML parsing (in-process, so it must stay
# cheap) in the milliseconds: PyYAML's pure-Python parser takes seconds on 20 KB, and libyaml's
# composer overflows the C stack on deep nesting. The depth is read from the text itself, before
# PyYAML sees it, so that the refusal and its words are ours whatever PyYAML's own limits become.
_FRONT_MATTER_MAX_CHARS = 64 * 1024
_FRONT_MATTER_MAX_DEPTH = 32
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A block indicator that opens a nested node on the same line: "- ", "? " or "key: ".
_YAML_INDICATOR = re.compile(r"(?:[-?]|[^\s#'\"\[\]{}][^:#]*:)[ \t]+")


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """(metadata, body) of cleaned Markdown text; no '---' first line means no front matter."""
    first_line, newline, rest = text.partition("\n")
    if first_line.rstrip() != "---":
        return {}, text
    end = _FRONT_MATTER_END_RE.search(rest) if newline else None
    if end is None:
        raise LoadError("front matter has no closing '---' line")
    return parse_front_matter(rest[: end.start()]), rest[end.end() :]


def parse_front_matter(source: str) -> dict[str, object]:
    """Parse front matter with PyYAML's safe loader into JSON-serialisable metadata."""
    if len(source) > _FRONT_MATTER_MAX_CHARS:
        raise LoadError(
            f"front matter is {human_size(len(source.encode()))}, over the "
            f"{human_size(_FRONT_MATTER_MAX_CHARS, exact=True)} limit"
        )
    try:
        _check_yaml_depth(source)
        loaded = yaml.load(source, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader (C or Python)
    except yaml.YAMLError as exc:
        raise LoadError(f"front matter is not valid YAML: {_yaml_reason(exc)}") from exc
    except RecursionError as exc:
        raise LoadError("front matter is not valid YAML: nested too deeply") from exc
    except (ValueError, TypeError, OverflowError) as exc:
        # PyYAML's constructors raise these on well-formed but impossible values: a date of
        # 2020-13-45, an int of 5,000 digits, "!!float abc".
        raise LoadError(f"front matter is not valid YAML: a value cannot be read ({_one_line(exc)})") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise LoadError(f"front matter is not valid YAML: expected 'key: value' lines, got a {_yaml_type(loaded)}")
    budget = [_META_NODE_BUDGET]
    meta = {_meta_key(key): _jsonable(value, budget) for key, value in loaded.items()}
    if "roles" in meta:
        meta["roles"] = _normalise_roles(meta["roles"])
    return meta


def _check_yaml_depth(source: str) -> None:
    """Refuse front matter nested deeper than _FRONT_MATTER_MAX_DEPTH, before any YAML parser reads it."""
    depth = _yaml_depth_bound(source)
    if depth > _FRONT_MATTER_MAX_DEPTH:
        raise LoadError(f"front matter is nested too deeply (over {_FRONT_MATTER_MAX_DEPTH} levels)")


def _yaml_depth_bound(source: str) -> int:
    """An upper bound on the YAML nesting depth, in one linear pass over the text.

    Hand-written: no YAML library measures depth without parsing, and parsing is what the check
    protects. It may over-count, never under-count: every bracket counts (in quotes and comments
    too), each indentation level counts twice (a key and its zero-indented "- " list share one),
    and so does each indicator that opens a node on the same line ("- - a", "k: v", "? k").
    Real front matter stays under 10.
    """
    deepest, flow, block = 0, 0, 0
    indents: list[int] = []
    for line in source.splitlines():
        stripped = line.lstrip(" ")
        if not flow and stripped and not stripped.startswith("#"):
            indent = len(line) - len(stripped)
            while indents and indents[-1] >= indent:
                indents.pop()
            indents.append(indent)
            opened, position = 0, 0
            while match := _YAML_INDICATOR.match(stripped, position):
                opened, position = opened + 1, match.end()
            block = 2 * len(indents) + opened
        for char in stripped:
            if char in "[{":
                flow += 1
                deepest = max(deepest, block + flow)
            elif char in "]}":
                flow = max(0, flow - 1)
        deepest = max(deepest, block + flow)
    return deepest


def _one_line(exc: BaseException, limit: int = 120) -> str:
    """An exception's message on one line, cut to fit in a refusal."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _yaml_reason(exc: yaml.YAMLError) -> str:
    """PyYAML's message, shortened to its problem and the file line it is on."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem:
        mark = exc.problem_mark
        # +2: marks are 0-based and the opening '---' is line 1 of the file.
        where = f" (line {mark.line + 2})" if mark is not None else ""
        return f"{exc.problem}{where}"
    return str(exc).split("\n", 1)[0]


def _yaml_type(value: object) -> str:
    """A YAML value's type in an admin's words ('list', 'text', 'number')."""
    return {list: "list", str: "text", int: "number", float: "number", bool: "true/false"}.get(
        type(value), type(value).__name__
    )


def _meta_key(key: object) -> str:
    """Keys as written; non-string YAML keys (numbers, dates) become strings."""
    if isinstance(key, str):
        return clean_meta_string(key)
    if isinstance(key, dt.date):
        return key.isoformat()
    return str(key)


def _jsonable(value: object, budget: list[int]) -> object:
    """Copy a YAML value into JSON types: dates to ISO strings, sets to lists, strings cleaned."""
    budget[0] -= 1
    if budget[0] < 0:
        raise LoadError("front matter is too large or too deeply nested")
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, bytes):
        raise LoadError("front matter is not valid YAML: binary values are not supported")
    if isinstance(value, dict):
        return {_meta_key(key): _jsonable(item, budget) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [_jsonable(item, budget) for item in items]
    return str(value)


def _normalise_roles(value: object) -> list[str]:
    """'cto, cmio' or ['cto', 'CMIO'] -> ['CTO', 'CMIO'] (order kept, duplicates dropped)."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[object] = [value]
    elif isinstance(value, list):
        items = value
    else:
        raise LoadError("front matter 'roles' must be a list or a comma-separated text")
    roles: list[str] = []
    for item in items:
        for part in str(item).split(","):
            role = part.strip().upper()
            if role and role not in roles:
                roles.append(role)
    return roles
