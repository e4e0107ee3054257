"""Cold start: from process start to the first answer printed, for `python -m bot ask --config X "question"`,
in both answer modes (extractive, and the LLM against the fake OpenAI-compatible server on 127.0.0.1,
whose answer takes no time: what is measured is ours, the client's import and its first call).

Each run is a new interpreter (imports, model load, opening the live version, the keyword index),
timed from just before the process starts to the first byte on its stdout; PYTHONUNBUFFERED makes
that the moment the answer is written, not the moment the process exits. The median of the runs is
reported; each run asks a different question.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import yaml

from tests.bench.corpora import Corpus
from tests.bench.process import python_m, run_process
from tests.bench.questions import Question


def cold_start(
    corpus: Corpus, config: Path, questions: list[Question], runs: int, env: dict[str, str] | None = None
) -> dict[str, Any]:
    samples = []
    for question in questions[:runs]:
        argv = python_m("bot", "ask", "--config", config, "--json", question.text)
        run = run_process(argv, env or corpus.env()).check()
        if run.first_output_s is None:
            raise RuntimeError("python -m bot ask printed nothing")
        answer = json.loads(run.stdout)
        samples.append({**run.figures(), "mode": answer["mode"], "fallback": answer.get("fallback")})
    firsts = [s["first_output_s"] for s in samples]
    return {
        "runs": len(samples),
        "median_s": round(statistics.median(firsts), 3) if firsts else None,
        "min_s": min(firsts, default=None),
        "max_s": max(firsts, default=None),
        "modes": sorted({f"{s['mode']}" + (f" ({s['fallback']})" if s["fallback"] else "") for s in samples}),
        "samples": samples,
    }


def cold_start_llm(
    corpus: Corpus, config: Path, questions: list[Question], runs: int, extractive: dict[str, Any]
) -> dict[str, Any]:
    """The same cold start with `llm.enabled`, the model being the fake server (instant answers).

    Asked first: the questions the extractive cold start answered, since a declined or gap question
    never reaches the model (its client is then never even imported)."""
    answered = [q for q, s in zip(questions, extractive["samples"], strict=False) if s["mode"] == "extractive"]
    questions = answered + [q for q in questions if q not in answered]
    from tests.fakes import FakeOpenAI, serving_in_thread

    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    with serving_in_thread(FakeOpenAI(api_key="bench-key")) as fake:
        fake.reply = "From the articles: the role needs executive presence [1]."
        data["llm"] = {"enabled": True, "base_url": fake.base_url, "timeout_s": 30.0}
        llm_config = config.with_name(f"{config.stem}-llm.yaml")
        llm_config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        figures = cold_start(corpus, llm_config, questions, runs, {**corpus.env(), "OPENAI_API_KEY": "bench-key"})
        figures["model_calls"] = len(fake.requests)
    return figures
