"""Our golden question set (knowledge/golden.yaml): one model and one loader for its two readers.

The ingest's quality gate takes its standalone, in-scope questions as retrieval checks before a new index
goes live (ingest.gate); `make eval` judges the advisor's answers to all of them as the dev set
(bot.quality.evaluate). Both read the file through this module, so an entry means the same to each.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class GoldenQuestion(BaseModel):
    """One entry of the golden set; the comment at the top of knowledge/golden.yaml describes each field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: str
    """direct | paraphrase | followup | out_of_scope | brief"""
    question: str
    history: list[str] = Field(default_factory=list)
    """Earlier user turns, oldest first (follow-ups only)."""
    in_scope: bool
    sources: list[str] = Field(default_factory=list)
    """The expected articles' stems, best first; empty when the advisor must decline."""
    facts: list[str] = Field(default_factory=list)
    """Phrases the answer must contain; " | " separates alternatives."""


_ENTRIES = TypeAdapter(list[GoldenQuestion])


def load_golden(path: Path) -> list[GoldenQuestion]:
    """Every entry of the file, validated; an empty file is an empty set.

    Raises OSError, yaml.YAMLError or pydantic.ValidationError: each reader says in its own terms what
    a broken file means (the gate refuses the config, `make eval` stops)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return _ENTRIES.validate_python(raw)
