"""Peak memory of the bot as a process: `python -m bot ask --jsonl` answering many questions.

The figure is the kernel's high-water mark of that process (see process.py), so it covers the model,
the live version, the keyword index and the sentence-vector cache after every answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.bench.corpora import Corpus
from tests.bench.process import python_m, run_process
from tests.bench.questions import Question


def bot_process_rss(corpus: Corpus, config: Path, questions: list[Question]) -> dict[str, Any]:
    lines = "".join(json.dumps({"question": q.text, "history": list(q.history)}) + "\n" for q in questions)
    run = run_process(python_m("bot", "ask", "--config", config, "--jsonl"), corpus.env(), lines).check()
    answers = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    if len(answers) != len(questions) or any("error" in a for a in answers):
        raise RuntimeError(f"bot ask --jsonl answered {len(answers)} of {len(questions)} questions")
    figures = run.figures()
    figures["questions"] = len(questions)
    figures["answered_in_scope"] = sum(1 for a in answers if a.get("in_scope"))
    return figures
