"""`python -m tests.screen_calibrate --config CONFIG`: choose the CV check's weights (bot.toolkit.screen.Weights)
on the dev CVs only, and say how well the choice carries to CVs it was not chosen on.

Why a grid and not a fitted classifier: the labels are per criterion ("evidence" or not), not per sentence,
and what is asked of the check is the criterion's status. A few weights searched directly for the statuses'
F1 need no guess of which sentence a label meant. Each dev CV's signals are computed once with the real
model (bot.toolkit.screen.signals); then every grid point only re-blends them. Two checks of the choice:
leave-one-CV-out (chosen on the other dev CVs, scored on the one left out), and across authors (chosen on
the CVs one person wrote, scored on the other's). The test CVs are never read here.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.toolkit.screen import Signals, Weights, signals
from tests.screen_quality import EVIDENCE, Figures, LabelledCV, label_for, load_cvs

GRID = {
    "keyword": (0.1, 0.2, 0.3, 0.5),
    "align": (0.0, 1.0, 2.0, 3.0),
    "summary": (0.1, 0.3, 0.5),
    "education": (0.0, 0.1, 0.3),
    "margin": (0.0, 0.05, 0.1, 0.2),
}
THRESHOLDS = tuple(round(0.02 * i, 2) for i in range(-2, 21))
SECOND_AUTHOR = "-d"
"""Dev CVs whose file name has this were written by a second author (the cvq branch)."""


@dataclass(frozen=True)
class Scored:
    name: str
    signals: Signals
    labels: list[bool]


def figures(cvs: Sequence[Scored], weights: Weights) -> Figures:
    result = Figures()
    for cv in cvs:
        for expected, chosen in zip(cv.labels, cv.signals.evidence(weights), strict=True):
            result.add(EVIDENCE if expected else "no evidence", EVIDENCE if chosen else "no evidence")
    return result


def f1(f: Figures) -> float:
    return 2 * f.precision * f.recall / (f.precision + f.recall) if f.precision + f.recall else 0.0


def choose(cvs: Sequence[Scored]) -> Weights:
    """The grid point with the best F1 of the statuses; ties go to the earlier (smaller) values. A criterion
    has evidence when its best sentence's score reaches the threshold, so each blend is scored once for
    every threshold."""
    thresholds = np.array(THRESHOLDS)
    best, chosen = -1.0, Weights()
    for values in itertools.product(*GRID.values()):
        tp = fp = fn = np.zeros(len(thresholds))
        for cv in cvs:
            top = cv.signals.scores(Weights(*values)).max(axis=1, initial=-np.inf)
            found = top[:, None] >= thresholds[None, :]
            labels = np.array(cv.labels)[:, None]
            tp, fp, fn = tp + (found & labels).sum(0), fp + (found & ~labels).sum(0), fn + (~found & labels).sum(0)
        scores = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
        i = int(np.argmax(scores))
        if scores[i] > best:
            best, chosen = float(scores[i]), Weights(*values, threshold=float(thresholds[i]))
    return chosen


def held_out(train: Sequence[Scored], test: Sequence[Scored]) -> Figures:
    return figures(test, choose(train))


def main() -> None:
    from bot.answer.advisor import Advisor
    from bot.settings import load_settings
    from bot.toolkit.cvtext import read_cv
    from bot.toolkit.service import Toolkit
    from ingest.embedding.factory import Embedder
    from ingest.store.index import KnowledgeIndex

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="an ingested config with the CNIO article")
    args = parser.parse_args()
    settings = load_settings(args.config)
    toolkit = Toolkit(Advisor(settings, KnowledgeIndex(settings, Embedder(settings.embedding))))

    def scored(cv: LabelledCV) -> Scored:
        criteria = toolkit.criteria(cv.role)
        text = read_cv(*cv.upload())
        found = signals(criteria.criteria, text, toolkit.advisor.encode, criteria.role, toolkit.background)
        return Scored(cv.name, found, [label_for(cv, c.text) == EVIDENCE for c in criteria.criteria])

    dev = [scored(cv) for cv in load_cvs("dev")]
    chosen = choose(dev)
    print("chosen on all dev CVs:", chosen)
    print("dev, in sample:      ", figures(dev, chosen).line())
    loo = Figures()
    for i, cv in enumerate(dev):
        one = held_out(dev[:i] + dev[i + 1 :], [cv])
        loo.tp, loo.fp, loo.fn, loo.tn = loo.tp + one.tp, loo.fp + one.fp, loo.fn + one.fn, loo.tn + one.tn
    print("dev, leave-one-out:  ", loo.line())
    first = [cv for cv in dev if SECOND_AUTHOR not in cv.name]
    second = [cv for cv in dev if SECOND_AUTHOR in cv.name]
    print("first author's CVs, chosen on the second's:", held_out(second, first).line())
    print("second author's CVs, chosen on the first's:", held_out(first, second).line())


if __name__ == "__main__":
    main()
