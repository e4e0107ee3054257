"""Role briefs for recruiters: one forwardable screen per role, built from the articles with citations.

The four sections are questions we ask the knowledge base about the role; the answers are the
articles' own sentences, so a role an admin adds later gets a brief with no code change. A section
the articles say nothing about says so instead of inventing something.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.extractive import Candidate, number_sources, trim
from bot.roles import full_title
from bot.types import Point, Source

SECTIONS: tuple[tuple[str, str], ...] = (
    ("What the role owns", "What is the {t} responsible for, and what does the {r} role own and manage?"),
    ("What to look for", "What key qualities and skills should a hiring manager look for in a {r}?"),
    (
        "Background and experience",
        "What background and how many years of experience should a {r} candidate have, and where can they come from?",
    ),
    ("Watch-outs", "What challenges, risks and changes should a health system watch out for when hiring a {r}?"),
)
NOTHING = "The knowledge base says nothing specific on this yet."
BRIEF_POINT_CHARS = 200


@dataclass
class Brief:
    """A role brief; `sections` pairs each heading with its cited points (possibly none)."""

    role: str
    title: str
    sections: list[tuple[str, list[Point]]]
    sources: list[Source]
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "title": self.title,
            "sections": [{"heading": h, "points": [p.__dict__ for p in pts]} for h, pts in self.sections],
            "sources": [s.to_json() for s in self.sources],
            "answer": self.text,
            "in_scope": True,
        }


# (role, section query) -> ranked candidates; the advisor supplies it so briefs share its retrieval.
Rank = Callable[[str, str], list[Candidate]]


def _section_points(rank: Rank, role: str, per_section: int) -> list[tuple[str, list[Candidate]]]:
    """Pick each section's sentences, never reusing one already quoted in an earlier section."""
    used: list[np.ndarray] = []
    out: list[tuple[str, list[Candidate]]] = []
    for heading, template in SECTIONS:
        ranked = rank(role, template.format(r=role, t=full_title(role)))
        chosen: list[Candidate] = []
        for cand in ranked:
            if len(chosen) >= per_section:
                break
            if cand.similarity < 0.2 or any(float(cand.vector @ v) > 0.85 for v in used):
                continue
            if chosen and cand.score < chosen[0].score * 0.75:
                break
            chosen.append(cand)
            used.append(cand.vector)
        out.append((heading, chosen))
    return out


def _numbered(groups: Sequence[Sequence[Candidate]]) -> tuple[list[list[Point]], list[Source]]:
    flat = [c for group in groups for c in group]
    points, sources = number_sources(flat)
    points = [Point(trim(p.text, BRIEF_POINT_CHARS), p.source) for p in points]
    out: list[list[Point]] = []
    for group in groups:
        out.append(points[: len(group)])
        points = points[len(group) :]
    return out, sources


def _footer(sources: Sequence[Source]) -> list[str]:
    return ["", "Sources:", *[f"[{s.n}] {s.label()}" for s in sources]]


def build_brief(rank: Rank, role: str, per_section: int = 2) -> Brief:
    picked = _section_points(rank, role, per_section)
    groups, sources = _numbered([c for _, c in picked])
    title = f"Role brief: {full_title(role)}"
    lines = [title]
    sections: list[tuple[str, list[Point]]] = []
    for (heading, _), points in zip(picked, groups, strict=True):
        sections.append((heading, points))
        lines += ["", heading]
        lines += [f"• {p.text} [{p.source}]" for p in points] or [f"• {NOTHING}"]
    return Brief(role, title, sections, sources, "\n".join(lines + _footer(sources)))


@dataclass
class Comparison:
    """Two roles side by side, section by section, with one shared source numbering."""

    roles: tuple[str, str]
    sections: list[tuple[str, list[Point], list[Point]]]
    sources: list[Source]
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "roles": list(self.roles),
            "sections": [
                {"heading": h, self.roles[0]: [p.__dict__ for p in a], self.roles[1]: [p.__dict__ for p in b]}
                for h, a, b in self.sections
            ],
            "sources": [s.to_json() for s in self.sources],
            "answer": self.text,
            "in_scope": True,
        }


def build_comparison(rank: Rank, first: str, second: str, per_section: int = 1) -> Comparison:
    left = _section_points(rank, first, per_section)
    right = _section_points(rank, second, per_section)
    groups, sources = _numbered([c for _, c in left] + [c for _, c in right])
    half = len(SECTIONS)
    title = f"{first} vs {second}"
    lines = [title]
    sections: list[tuple[str, list[Point], list[Point]]] = []
    for i, (heading, _) in enumerate(SECTIONS):
        a, b = groups[i], groups[half + i]
        sections.append((heading, a, b))
        lines += ["", heading]
        for role, points in ((first, a), (second, b)):
            body = " ".join(f"{p.text} [{p.source}]" for p in points) or NOTHING
            lines.append(f"• {role}: {body}")
    return Comparison((first, second), sections, sources, "\n".join(lines + _footer(sources)))
