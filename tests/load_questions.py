"""The questions a load run asks: the golden questions and templated variants of them (many distinct texts, so
no cache hides memory growth), and the role questions the bench asks too."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

_VARIANTS = (
    "{q}",
    "Quick question: {q}",
    "{q} Thanks!",
    "Hi, {lower}",
    "We are hiring now. {q}",
    "{q} We are a 12-hospital system.",
)
ROLE_QUESTIONS = (
    "What should I look for in a {r}?",
    "What does a {r} own?",
    "How much experience should a {r} have?",
    "What should I watch out for when hiring a {r}?",
    "Who should a {r} report to?",
    "Can a {r} come from outside healthcare?",
)
"""Questions about any role ({r}); the bench asks them too."""
_EXTRA = (*ROLE_QUESTIONS, "and for the {r}?")


def golden_questions(path: Path = ROOT / "knowledge" / "golden.yaml") -> list[str]:
    """Every question of our question set (in scope, out of scope, follow-ups, briefs)."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [str(e["question"]) for e in entries]


def varied_questions(roles: Sequence[str] = ("CTO", "CMIO")) -> list[str]:
    """The golden questions plus templated variants: many distinct texts, so no cache hides growth."""
    base = golden_questions() + [t.format(r=r) for t in _EXTRA for r in roles]
    out: list[str] = []
    for q in base:
        for v in _VARIANTS:
            out.append(v.format(q=q, lower=q[:1].lower() + q[1:]))
    return list(dict.fromkeys(out))
