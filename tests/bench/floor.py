"""The floor: the least any answer on this corpus must cost, one raw encode plus one raw Chroma query.

It encodes with the same embedding backend the advisor uses (ONNX by default), one raw call with no
cache, and queries the very live collection our advisor reads, so the only difference from our figure
is our own work (follow-ups, typos, hybrid retrieval, scope, sentence scoring, composing the answer).
"""

from __future__ import annotations

import time
from typing import Any

from bot.answer.advisor import Advisor
from tests.bench.questions import Question


class Floor:
    def __init__(self, advisor: Advisor, n_results: int) -> None:
        index = advisor.index
        self.embedder = index.embedder
        self.collection: Any = index.live_collection()  # exactly the collection the advisor reads
        self.n_results = n_results

    def warm_up(self) -> None:
        self.ask(Question("warm up the floor"))

    def ask(self, question: Question) -> float:
        started = time.perf_counter()
        vector = self.embedder.encode([question.text])[0]
        result = self.collection.query(query_embeddings=[vector], n_results=self.n_results)
        elapsed = time.perf_counter() - started
        if not result["ids"][0]:
            raise AssertionError("the floor's query found nothing")
        return elapsed
