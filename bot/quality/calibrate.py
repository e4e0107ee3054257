"""`python -m bot.quality.calibrate`: fit the scope model (bot/answer/scope.py) on the dev set, never on the test set.

Each dev question's evidence is computed on the live index; its label is what the question expects
(answer, gap or decline). A multinomial logistic regression (scikit-learn, on standardised features,
classes balanced) is written to bot/answer/scope_model.json, which the advisor applies with numpy alone.
scikit-learn is imported here only: the running bot never loads it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.answer.advisor import Advisor
from bot.answer.scope import FEATURES, MODEL_FILE, ScopeModel
from bot.quality.evaluate import DEV_SET, load_dev, load_test
from bot.settings import load_settings
from ingest.store.index import KnowledgeIndex


def untrained() -> ScopeModel:
    """A placeholder while the evidence is gathered: calibration never asks it for a decision."""
    zeros = np.zeros(len(FEATURES))
    return ScopeModel(("answer", "gap", "decline"), np.zeros((3, len(FEATURES))), np.zeros(3), zeros, zeros + 1)


def _weights(labels: Sequence[str], gap_weight: float | None) -> dict[str, float] | str:
    """Balanced classes, or answer 1, decline balanced against answers, gap `gap_weight`: a false gap
    costs an answer the articles hold, so the dev set may weigh it above a missed gap."""
    if gap_weight is None:
        return "balanced"
    counts = Counter(labels)
    return {"answer": 1.0, "decline": counts["answer"] / max(1, counts["decline"]), "gap": gap_weight}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.quality.calibrate", description=__doc__)
    parser.add_argument("--config", type=Path, default=Path("config.yaml"))
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument(
        "--gap-weight",
        type=float,
        default=None,
        help="weight of a gap question relative to an answerable one (default: classes balanced)",
    )
    parser.add_argument("--json", action="store_true", help="print the fitted model and its dev accuracy")
    args = parser.parse_args(argv)

    from sklearn.linear_model import LogisticRegression  # the bot itself never imports scikit-learn

    settings = load_settings(args.config)
    advisor = Advisor(settings, KnowledgeIndex(settings), scope=untrained())
    assert settings.gate.questions_file is not None
    items = load_dev(settings.gate.questions_file) + load_test(settings.config_dir / DEV_SET)
    rows, labels = [], []
    for item in items:
        evidence = advisor.evidence(item.question, item.history)
        if evidence is not None:  # declined by role before any evidence: nothing to learn from
            rows.append(evidence.vector())
            labels.append(item.expect)
    x = np.array(rows)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=args.c, class_weight=_weights(labels, args.gap_weight), max_iter=1000)
    model.fit((x - mean) / scale, labels)
    predicted = model.predict((x - mean) / scale)
    accuracy = float(np.mean(predicted == np.array(labels)))
    data = {
        "features": list(FEATURES),
        "classes": [str(c) for c in model.classes_],
        "coef": model.coef_.round(6).tolist(),
        "intercept": model.intercept_.round(6).tolist(),
        "mean": mean.round(6).tolist(),
        "scale": scale.round(6).tolist(),
        "fitted_on": f"dev set: {len(labels)} questions {dict(Counter(labels))}",
        "dev_accuracy": round(accuracy, 4),
    }
    args.out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    confusion = Counter(zip(labels, predicted, strict=True))
    if args.json:
        print(json.dumps(data))
    else:
        print(f"fitted on {len(labels)} dev questions; dev accuracy {accuracy:.1%}; written to {args.out}")
        for (want, got), n in sorted(confusion.items()):
            print(f"  expected {want:<8} decided {got:<8} {n}")
    advisor.index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
