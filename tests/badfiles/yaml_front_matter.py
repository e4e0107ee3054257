"""Markdown whose YAML front matter is invalid, hostile (tags, alias bombs, deep nesting) or too large."""

from __future__ import annotations

from tests.badfiles.builder import Builder, paragraphs
from tests.badfiles.reasons import R_YAML

_BAD_YAML = [
    "title: ok\nroles: [cto\n",
    "\ttitle: tabbed\n",
    "title: [unclosed\n",
    "title: 'unterminated\n",
    "- just\n- a list\n",
    "just a sentence\n",
    "title: x\n  bad: indent\n",
    "published: 2020-13-45\n",
    "published: 2021-02-30\n",
    "n: " + "9" * 5000 + "\n",
    "x: !!float not-a-number\n",
    "x: !!int twelve\n",
    "x: !!timestamp 2020-99-99\n",
    "x: !!python/object:os.system ls\n",
    "x: !!python/name:os.system\n",
    "x: !!binary aGVsbG8=\n",
    "roles: {a: 1}\n",
    "roles: 5\n",
    "x: " + "[" * 5000 + "]" * 5000 + "\n",
    "? [a, b]\n: 1\n",
    "<<: 5\n",
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(f"a{i}: &a{i} [{', '.join(['*a'] * 10)}]\n" for i in range(1))
    + "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    + "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
    "title: x\ntitle: y\n: z\n",
    "x: *undefined\n",
    "x: !unknown-tag 1\n",
    "%YAML 9.9\n---\nx: 1\n",
    "x: \"\\q\"\n",
]  # fmt: skip


def add_bad_yaml(b: Builder) -> None:
    rng = b.rng
    for source in _BAD_YAML:
        text = "---\n" + source + "---\n\n" + paragraphs(rng, 1)
        b.add("yaml_bad", ".md", text.encode(), reason=R_YAML, notes=source[:40])
    b.add("yaml_bad", ".md", b"---\ntitle: no closing line\n\n" + paragraphs(rng, 1).encode(), reason=R_YAML)
    b.add("yaml_bad", ".md", b"---", reason=R_YAML)
    b.add("yaml_bad", ".markdown", b"---\n" + b"k: v\n" * 200_000 + b"---\nBody\n", reason=R_YAML)
