"""Cold start: from process start to the first answer printed, for `python -m bot ask --config X "question"`.

Each run is a new interpreter (imports, model load, opening the live version, the keyword index),
timed from just before the process starts to the first byte on its stdout; PYTHONUNBUFFERED makes
that the moment the answer is written, not the moment the process exits. The median of the runs is
reported; each run asks a different question.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from tests.bench.corpora import Corpus
from tests.bench.process import python_m, run_process
from tests.bench.questions import Question


def cold_start(corpus: Corpus, config: Path, questions: list[Question], runs: int) -> dict[str, Any]:
    samples = []
    for question in questions[:runs]:
        run = run_process(python_m("bot", "ask", "--config", config, question.text), corpus.env()).check()
        if run.first_output_s is None:
            raise RuntimeError("python -m bot ask printed nothing")
        samples.append(run.figures())
    firsts = [s["first_output_s"] for s in samples]
    return {
        "runs": len(samples),
        "median_s": round(statistics.median(firsts), 3) if firsts else None,
        "min_s": min(firsts, default=None),
        "max_s": max(firsts, default=None),
        "samples": samples,
    }
