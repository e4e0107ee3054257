"""What every bad-file family shares: the BadFile record, the Builder that names and collects files,
and the seeded words, sentences and marker words their text is made of."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

MB = 1024 * 1024


@dataclass(frozen=True)
class BadFile:
    """One generated file and what the loaders must make of it."""

    name: str
    kind: str
    data: bytes
    accept: bool
    reason: str = ""  # for refused files: a regex the one-line reason must match
    visible: tuple[str, ...] = ()  # accepted files: words that must reach the index
    hidden: tuple[str, ...] = ()  # words that must never reach the index
    notes: str = ""

    def write(self, folder: Path) -> Path:
        path = folder / self.name
        path.write_bytes(self.data)
        return path


@dataclass
class Builder:
    """Collects one generation's files, naming each `<kind>-NNN<suffix>` in the order it is added."""

    rng: random.Random
    files: list[BadFile] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, suffix: str, data: bytes, *, accept: bool = False, reason: str = "", **kw: object) -> None:
        number = self.counts.get(kind, 0)
        self.counts[kind] = number + 1
        name = f"{kind.replace('_', '-')}-{number:03d}{suffix}"
        if not accept and not reason:
            raise ValueError(f"{name}: a refused file needs a reason pattern")
        self.files.append(BadFile(name, kind, data, accept, reason, **kw))  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------- words

_WORDS = [
    "health", "system", "CTO", "CMIO", "clinical", "informatics", "leadership", "infrastructure", "cloud",
    "security", "governance", "physician", "engagement", "interoperability", "analytics", "budget",
    "strategy", "recruiting", "search", "committee", "board",
]  # fmt: skip


def sentence(rng: random.Random, n: int = 12) -> str:
    words = [rng.choice(_WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def paragraphs(rng: random.Random, count: int = 3) -> str:
    return "\n\n".join(" ".join(sentence(rng) for _ in range(3)) for _ in range(count))


def marker(rng: random.Random, prefix: str) -> str:
    """A word no article contains, to look for in the index (letters only: tokenisers keep it whole)."""
    return prefix + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(10))


def front_matter(title: str = "A title", extra: str = "") -> str:
    return f"---\ntitle: {title}\nauthor: Test Author\nroles: [CTO]\n{extra}---\n\n"
