"""The CV evidence check's quality set (tests/eval/cvs): our fictional CVs as the bytes a user would send,
and recall and precision of the statuses (positive: "evidence") against labels.yaml, per split.

`python -m tests.screen_quality --config CONFIG` prints the figures and, for the dev split only, each miss
(what calibrating bot.toolkit.screen reads); the test split's misses are never printed.
"""

from __future__ import annotations

import argparse
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import yaml

from tests.loader_fixtures import pdf_bytes

CVS = Path(__file__).parent / "eval" / "cvs"
LABELS = CVS / "labels.yaml"
CNIO_ARTICLE = CVS / "cnio-article.md"
EVIDENCE = "evidence"


@dataclass(frozen=True)
class LabelledCV:
    name: str
    role: str
    split: str
    format: str
    labels: dict[str, str]
    """A prefix of each criterion's text -> "evidence" or "no evidence"."""

    def text(self) -> str:
        return (CVS / self.name).read_text(encoding="utf-8")

    def upload(self) -> tuple[bytes, str]:
        """The CV as a file: its bytes and a file name whose suffix is its format."""
        stem = Path(self.name).stem
        if self.format == "docx":
            return docx_bytes(self.text()), f"{stem}.docx"
        if self.format == "pdf":
            return pdf_bytes([self.text()]), f"{stem}.pdf"
        return self.text().encode("utf-8"), self.name


def docx_bytes(text: str) -> bytes:
    """A Word file with one paragraph per line, short all-letter lines as headings."""
    document = docx.Document()
    for line in text.splitlines():
        if not line.strip():
            continue
        if len(line.split()) <= 2 and line.replace(" ", "").isalpha():
            document.add_heading(line, level=2)
        else:
            document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def load_cvs(split: str | None = None) -> list[LabelledCV]:
    data: dict[str, Any] = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    cvs = [
        LabelledCV(name, e["role"], e["split"], e["format"], {str(k): str(v) for k, v in e["criteria"].items()})
        for name, e in data.items()
    ]
    return [cv for cv in cvs if split is None or cv.split == split]


def label_for(cv: LabelledCV, criterion: str) -> str:
    """The label whose prefix opens the criterion's text; KeyError when the labels miss a criterion."""
    found = [label for prefix, label in cv.labels.items() if criterion.startswith(prefix)]
    if len(found) != 1:
        raise KeyError(f"{cv.name}: {len(found)} labels for criterion {criterion[:60]!r}")
    return found[0]


@dataclass
class Figures:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, expected: str, got: str) -> None:
        if got == EVIDENCE:
            self.tp, self.fp = (self.tp + 1, self.fp) if expected == EVIDENCE else (self.tp, self.fp + 1)
        else:
            self.fn, self.tn = (self.fn + 1, self.tn) if expected == EVIDENCE else (self.fn, self.tn + 1)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def line(self) -> str:
        total = self.tp + self.fp + self.fn + self.tn
        counts = f"tp {self.tp} fp {self.fp} fn {self.fn} tn {self.tn}"
        return f"precision {self.precision:.3f} recall {self.recall:.3f} ({total} statuses: {counts})"


def measure(toolkit: Any, cvs: list[LabelledCV], show_misses: bool = False) -> Figures:
    """Screen every CV with the toolkit and count its statuses against the labels."""
    figures = Figures()
    for cv in cvs:
        data, filename = cv.upload()
        screening = toolkit.screen(cv.role, data, filename)
        assert len(screening.findings) == len(cv.labels), f"{cv.name}: the role's criteria changed since labelling"
        for finding in screening.findings:
            expected = label_for(cv, finding.criterion.text)
            figures.add(expected, finding.status)
            if show_misses and expected != finding.status:
                print(f"MISS {cv.name} [{finding.criterion.name}] expected {expected}: {list(finding.evidence)}")
    return figures


def main() -> None:
    from bot.answer.advisor import Advisor
    from bot.settings import load_settings
    from bot.toolkit.service import Toolkit
    from ingest.embedding.factory import Embedder
    from ingest.store.index import KnowledgeIndex

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--config", type=Path, required=True, help="an ingested config whose knowledge has the CNIO article"
    )
    args = parser.parse_args()
    settings = load_settings(args.config)
    toolkit = Toolkit(Advisor(settings, KnowledgeIndex(settings, Embedder(settings.embedding))))
    print("dev ", measure(toolkit, load_cvs("dev"), show_misses=True).line())
    print("test", measure(toolkit, load_cvs("test")).line())


if __name__ == "__main__":
    main()
