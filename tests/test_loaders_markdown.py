"""Markdown and its YAML front matter: metadata and roles, invalid or hostile front matter (impossible
values, alias bombs, deep nesting, size), and the repository's own articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ingest.loaders.documents import load_document
from tests.loader_fixtures import assert_clean, load_error, write

ROOT = Path(__file__).resolve().parent.parent


def test_markdown_front_matter_with_roles_string(tmp_path: Path) -> None:
    source = (
        "---\n"
        'title: "Hiring a CMIO"\n'
        "author: Ann Smith\n"
        "roles: cto, cmio\n"
        "published: 2015-01-16\n"
        "tags: [hiring, leadership]\n"
        "---\n"
        "\n"
        "# Hiring a CMIO\n"
        "\n"
        "Body text.   \n"
        "- a point\n"
    )
    doc = load_document(write(tmp_path, "post.md", source))
    assert doc.format == "markdown"
    assert doc.meta == {
        "title": "Hiring a CMIO",
        "author": "Ann Smith",
        "roles": ["CTO", "CMIO"],
        "published": "2015-01-16",
        "tags": ["hiring", "leadership"],
    }
    assert doc.text == "# Hiring a CMIO\n\nBody text.\n- a point"
    assert_clean(doc)


def test_markdown_roles_list_and_nested_dates(tmp_path: Path) -> None:
    source = "---\nroles: [cto, ' Cmio ', CTO]\nhistory:\n  updated: 2020-02-03 10:00:00\n---\nText\n"
    doc = load_document(write(tmp_path, "post.markdown", source))
    assert doc.meta["roles"] == ["CTO", "CMIO"]
    assert doc.meta["history"] == {"updated": "2020-02-03T10:00:00"}
    json.dumps(doc.meta)


def test_markdown_without_or_with_empty_front_matter(tmp_path: Path) -> None:
    assert load_document(write(tmp_path, "plain.md", "Just text.\n")).meta == {}
    doc = load_document(write(tmp_path, "empty-fm.md", "---\n---\nBody\n"))
    assert (doc.meta, doc.text) == ({}, "Body")


def test_markdown_invalid_front_matter(tmp_path: Path) -> None:
    bad_yaml = write(tmp_path, "bad.md", "---\ntitle: ok\nroles: [cto\n---\nBody\n")
    assert load_error(bad_yaml).startswith("front matter is not valid YAML: ")
    scalar = write(tmp_path, "list.md", "---\n- a\n- b\n---\nBody\n")
    assert load_error(scalar) == "front matter is not valid YAML: expected 'key: value' lines, got a list"
    unclosed = write(tmp_path, "unclosed.md", "---\ntitle: x\n\nBody without a closing line\n")
    assert load_error(unclosed) == "front matter has no closing '---' line"
    roles = write(tmp_path, "roles.md", "---\nroles: {a: 1}\n---\nBody\n")
    assert load_error(roles) == "front matter 'roles' must be a list or a comma-separated text"
    only_fm = write(tmp_path, "only.md", "---\ntitle: x\n---\n\n")
    assert load_error(only_fm) == "no text could be extracted"


def test_markdown_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["---", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    path = write(tmp_path, "laughs.md", "\n".join([*lines, "---", "Body"]))
    assert load_error(path) == "front matter is too large or too deeply nested"


def test_repository_knowledge_files_load() -> None:
    for path in sorted((ROOT / "knowledge").glob("*.md")):
        doc = load_document(path)
        assert not doc.text.startswith("---")
        roles = doc.meta.get("roles", [])
        assert isinstance(roles, list) and all(role == role.upper() for role in roles)
        assert_clean(doc)


_VALUE = "front matter is not valid YAML: a value cannot be read "


@pytest.mark.parametrize(
    "front_matter",
    ["published: 2020-13-45", "published: 2021-02-30", "x: !!float abc", "n: " + "9" * 5000],
    ids=["month", "day", "float", "bigint"],
)
def test_front_matter_with_impossible_values_is_refused(tmp_path: Path, front_matter: str) -> None:
    """PyYAML raises ValueError on these, which once crashed the whole ingest: a one-line refusal in our
    words (what follows in brackets is Python's own wording, and not ours to pin)."""
    reason = load_error(write(tmp_path, "fm.md", f"---\n{front_matter}\n---\nBody\n"))
    assert reason.startswith(_VALUE + "(") and "\n" not in reason


DEEP_FRONT_MATTER = {
    "flow-depth": "x: " + "[" * 30_000 + "]" * 30_000,
    "block-depth": "x:\n  " + "- " * 30_000 + "a",
    "just-over": "x: " + "[" * 33 + "]" * 33,
}


@pytest.mark.parametrize("front_matter", DEEP_FRONT_MATTER.values(), ids=DEEP_FRONT_MATTER.keys())
def test_deep_front_matter_is_refused_before_yaml_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, front_matter: str
) -> None:
    """libyaml's composer overflowed the C stack on deep nesting, and newer PyYAML refuses it in words of
    its own: our check reads the text first, so PyYAML never sees it and the refusal is always ours."""

    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("PyYAML read front matter that the depth check should have refused")

    monkeypatch.setattr(yaml, "load", never)
    monkeypatch.setattr(yaml, "parse", never)
    reason = load_error(write(tmp_path, "fm.md", f"---\n{front_matter}\n---\nBody\n"))
    assert reason == "front matter is nested too deeply (over 32 levels)"


@pytest.mark.parametrize(
    "front_matter",
    [
        "x: " + "[" * 10 + "]" * 10,
        'title: "A [bracketed] title"\nroles: [CTO, CMIO]\ntags:\n  - a\n  - b: [c, {d: e}]\n',
        "a:\n- b:\n  - c:\n    - d\n",
    ],
    ids=["ten-deep", "usual", "zero-indented"],
)
def test_front_matter_of_ordinary_depth_is_read(tmp_path: Path, front_matter: str) -> None:
    doc = load_document(write(tmp_path, "fm.md", f"---\n{front_matter}\n---\nBody\n"))
    assert doc.meta and doc.text.strip() == "Body"


def test_front_matter_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    """PyYAML's pure-Python parser took seconds on 20 KB: front matter over 64 KB is never parsed."""
    reason = load_error(write(tmp_path, "fm.md", "---\n" + "k: v\n" * 20_000 + "---\nBody\n"))
    assert reason == "front matter is 97.7 KB, over the 64 KB limit"


def test_front_matter_of_two_thousand_keys_is_read(tmp_path: Path) -> None:
    keys = "".join(f"key{i}: value {i}\n" for i in range(2000))
    doc = load_document(write(tmp_path, "many.md", f"---\n{keys}---\nBody\n"))
    assert len(doc.meta) == 2000
