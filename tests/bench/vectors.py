"""Generated chunk vectors for the largest corpora, so the scale profile's 30,000 articles fit in an hour on 2 cores.

Why: encoding ~220,000 chunks with the real model takes hours here, yet what the answer path costs
does not depend on how a stored vector was made, only on how many there are and how they lie. So a
generated chunk's vector is made to lie where the real one would: the mean of the real model's
vectors of the sentences it holds (every sentence of a generated article comes from tests/corpus.py's
finite vocabulary, so only those ~1,700 short sentences are ever encoded, each once), plus a small
deterministic jitter seeded by the text, normalised. Questions are still encoded by the real model.

Generated vectors enter through the product's own store path, never a code path that fakes them: they
are put in the ingest's embedding cache under the chunk's content hash (what the pipeline looks up
before it encodes anything), and the ingest then stores them as it stores cached vectors. The peer
gets the same vectors through a LangChain `Embeddings` whose documents side reads them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ingest.chunking import split_sentences
from ingest.embedding.cache import EmbeddingCache
from ingest.embedding.factory import Embedder
from ingest.pipeline import content_hash
from ingest.settings import Settings
from ingest.store.repair import CACHE_FILE
from tests.bench.corpora import Corpus
from tests.bench.ingest_speed import chunk_texts
from tests.bench.measure import stopwatch
from tests.corpus import HEADINGS, OPENERS, ROLES, SENTENCES, TOPICS

JITTER = 0.15
"""Length of the random part added to the (unit) sentence mean before normalising: enough that no two
chunks share a vector (an index full of duplicates is not what a real corpus gives), small beside the
mean, so the topic a chunk's sentences speak of decides where it lies."""
PUT_BATCH = 5000


ARTICLE_NUMBER = re.compile(r"\s*#\d+$")
"""A generated title ends in its article's number ("...: field notes #12"): the bank encodes the title without it."""


def vocabulary() -> set[str]:
    """Every sentence, title (less its number) and heading tests/corpus.py can write: the only texts the bank
    ever encodes. A chunk's embed text is its title line, its heading line, then its sentences."""
    templates = (*OPENERS, *SENTENCES, "The {role} and {topic}: field notes")
    return {t.format(role=r, topic=tp) for t in templates for r in ROLES for tp in TOPICS} | set(HEADINGS)


class SentenceBank:
    """Real vectors of the corpus vocabulary's sentences, encoded on first need, and chunk vectors made from them."""

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray]) -> None:
        self.encode = encode
        self.known = vocabulary()
        self.vectors: dict[str, np.ndarray] = {}
        self.generated = 0

    def _sentences(self, text: str) -> list[str]:
        """The vocabulary texts in `text`, line by line (its title and heading lines end in no full stop)."""
        found = (s for line in text.splitlines() for s in split_sentences(ARTICLE_NUMBER.sub("", line)))
        return [s for s in found if s in self.known]

    def prepare(self, texts: Iterable[str]) -> list[list[str]]:
        """Each text's vocabulary sentences; any not encoded yet are encoded, in one call."""
        found = [self._sentences(t) for t in texts]
        missing = sorted({s for sentences in found for s in sentences} - set(self.vectors))
        if missing:
            self.vectors.update(zip(missing, np.asarray(self.encode(missing), dtype=np.float32), strict=True))
        return found

    def vector(self, text: str, sentences: list[str]) -> np.ndarray:
        """Deterministic: the same text always gets the same unit float32 vector."""
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        rng = np.random.default_rng(seed)
        dimension = len(next(iter(self.vectors.values()))) if self.vectors else 384
        jitter = rng.standard_normal(dimension).astype(np.float32)
        jitter *= JITTER / float(np.linalg.norm(jitter))
        if sentences:
            mean = np.mean([self.vectors[s] for s in sentences], axis=0)
            base = mean / float(np.linalg.norm(mean))
        else:  # a heading-only or foreign text: a random direction (none occur in generated articles)
            base = jitter / JITTER
        out = base + jitter
        self.generated += 1
        unit: np.ndarray = (out / float(np.linalg.norm(out))).astype(np.float32)
        return unit

    def vectors_for(self, texts: Sequence[str]) -> np.ndarray:
        found = self.prepare(texts)
        return np.stack([self.vector(t, s) for t, s in zip(texts, found, strict=True)])


def prefill_cache(settings: Settings, bank: SentenceBank, texts: Sequence[str]) -> dict[str, Any]:
    """Generated vectors for `texts` (the chunks' embed texts), in the store's embedding cache under the keys
    the pipeline looks up, so the ingest that follows encodes no chunk (it still encodes each distinct
    sentence for facets and the stored unit vectors, as it always does)."""
    model = settings.embedding.model
    cache = EmbeddingCache(settings.store.path / CACHE_FILE, model)
    unique = list(dict.fromkeys(texts))
    try:
        for start in range(0, len(unique), PUT_BATCH):
            part = unique[start : start + PUT_BATCH]
            vectors = bank.vectors_for(part)
            cache.put_many((content_hash(model, t), v) for t, v in zip(part, vectors, strict=True))
    finally:
        cache.close()
    return {"chunks": len(unique), "sentences_encoded": len(bank.vectors)}


def generate_vectors(corpus: Corpus, embedder: Embedder, cli: bool) -> tuple[SentenceBank, dict[str, Any]]:
    """Every chunk of the corpus, chunked as the pipeline chunks it, gets a generated vector in the in-process
    store's cache (and the CLI store's, when the profile has one). Returns the bank, for the peer."""
    bank = SentenceBank(embedder.encode)
    with stopwatch() as chunking:
        texts = chunk_texts(corpus.settings, embedder)
    with stopwatch() as making:
        figures = prefill_cache(corpus.settings, bank, texts)
        if cli:
            prefill_cache(corpus.cli_settings, bank, texts)
    return bank, {
        **figures,
        "chunking_s": round(chunking.wall_s, 2),
        "generate_s": round(making.wall_s, 2),
        "jitter": JITTER,
        "note": "chunk vectors generated (the mean of the real model's vectors of each chunk's sentences, plus a "
        "seeded jitter), put in the store's embedding cache under each chunk's content hash and stored by the "
        "ingest from there; the peer's documents likewise; questions and each distinct sentence encoded for real",
    }


def generated_embeddings(bank: SentenceBank, real: Any) -> Any:
    """A LangChain `Embeddings` for the peer: its documents get generated vectors, its queries the peer's own
    real model (`real`), so the peer's answer path is the tutorial's, on vectors like ours."""
    from langchain_core.embeddings import Embeddings

    class GeneratedDocuments(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return bank.vectors_for(texts).tolist()  # type: ignore[no-any-return]

        def embed_query(self, text: str) -> list[float]:
            return real.embed_query(text)  # type: ignore[no-any-return]

    return GeneratedDocuments()
