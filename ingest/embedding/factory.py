"""The one place that builds the embedding model: the writer (ingest) and the reader (bot) both use it.

They cannot drift apart on model, normalisation, device or backend. The encoder (encoders.py) is loaded
on first use, never at import time: a no-change ingest run needs none. The backend is onnx unless
configured otherwise or unavailable, then torch; both give the same vectors.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ingest.embedding.encoders import Encoder, OnnxEncoder, TorchEncoder, resolve_model
from ingest.embedding.onnx_export import onnx_export
from ingest.errors import ConfigError
from ingest.settings import EmbeddingSettings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)


class Embedder:
    """The embedding model, loaded lazily and once per process.

    `model_id` is the configured name (not a machine-specific path) so an index records which
    model built it and a reader can refuse a mismatch. The backend is not part of that identity:
    both give the same vectors (see encoders.py).
    """

    def __init__(self, settings: EmbeddingSettings, cache_dir: Path | None = None) -> None:
        self.settings = settings
        self.model_id = settings.model
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._encoder: Encoder | None = None
        self._lc: Embeddings | None = None
        self._count = functools.lru_cache(maxsize=16384)(self._count_uncached)

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    self._encoder = self._load()
        return self._encoder

    def _load(self) -> Encoder:
        path = resolve_model(self.model_id)
        encoder: Encoder | None = None
        if self.settings.backend == "onnx":
            if self.settings.device != "cpu":
                log.info("embedding.backend onnx runs on the CPU only; using torch on %s", self.settings.device)
            else:
                try:
                    encoder = OnnxEncoder(onnx_export(self.model_id, path, self.cache_dir))
                except (ImportError, RuntimeError, OSError, ValueError, KeyError) as exc:
                    log.warning("ONNX backend unavailable (%s); using torch", exc)
        if encoder is None:
            try:
                encoder = TorchEncoder(path, self.settings.device)
            except OSError as exc:
                raise ConfigError(f"embedding.model: cannot load '{self.model_id}': {exc}") from exc
        log.info("embedding model %s loaded (%s, %d dims)", self.model_id, encoder.name, encoder.dimension)
        return encoder

    def preload(self) -> None:
        """Load the model in a background thread, so that a process about to answer loads it while it
        opens the live version and builds what it needs from it (most of it in C++ that leaves the GIL
        free, on a second core). The first real use waits for it under the same lock; a model that
        cannot be loaded raises there, where the caller reports it."""

        def load() -> None:
            with contextlib.suppress(ConfigError):
                _ = self.encoder

        # Not a daemon: an early exit (no live version, a bad question) waits for the load to end instead of
        # finalising the interpreter under a thread inside onnxruntime.
        threading.Thread(target=load, name="embedding-preload").start()

    @property
    def backend(self) -> str:
        """The backend actually in use: `onnx`, or `torch` (configured, or as a fallback)."""
        return self.encoder.name

    @property
    def langchain(self) -> Embeddings:
        """This model as a LangChain `Embeddings` (what Chroma/LangChain integrations expect)."""
        if self._lc is None:
            self._lc = _langchain_adapter(self)
        return self._lc

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    @property
    def max_tokens(self) -> int:
        """Word pieces the model embeds; anything past this is silently cut, so chunks must fit."""
        return self.encoder.max_tokens

    def count_tokens(self, text: str) -> int:
        """Word pieces including [CLS]/[SEP], as the model counts them against max_tokens.

        Memoised: the chunker measures each sentence, then the same text again as a unit, and each
        section's prefix for every chunk; the memo halves chunking time (~60 us per tokenizer call).
        """
        return self._count(text)

    def vocabulary(self) -> frozenset[str]:
        """The whole words the model's tokenizer knows (about 20,000 common English words): what a typo
        corrector must never "correct", though the knowledge base may not use them."""
        return frozenset(w for w in self.encoder.counter.get_vocab() if w.isalpha())

    def _count_uncached(self, text: str) -> int:
        return len(self.encoder.counter.encode(text, add_special_tokens=True).ids)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised float32 vectors, one row per text (no per-float Python objects: ingest memory).

        Repeated texts are encoded once: a question without role names is its own role-neutral
        form, and the advisor asks for both in one call.
        """
        unique = list(dict.fromkeys(texts))
        vectors = self.encoder.encode(unique, self.settings.batch_size)
        if len(unique) == len(texts):
            return vectors
        row = {text: i for i, text in enumerate(unique)}
        return vectors[[row[t] for t in texts]]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()  # type: ignore[no-any-return]


def _langchain_adapter(embedder: Embedder) -> Embeddings:
    """Our model behind LangChain's Embeddings interface, without langchain-huggingface's import cost."""
    from langchain_core.embeddings import Embeddings

    class _Adapter(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_documents(texts)

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_query(text)

    return _Adapter()
