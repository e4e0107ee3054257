"""The embedding cache's stored parts: presence is asked without reading the bodies."""

from __future__ import annotations

from pathlib import Path

from ingest.embedding.cache import EmbeddingCache


def test_stored_keys_names_only_the_keys_stored_for_this_model(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite", "model-a")
    cache.put_blobs([("lexicon:1", b"body one"), ("keywords:1", b"body two")])
    EmbeddingCache(tmp_path / "cache.sqlite", "model-b").put_blobs([("lexicon:2", b"other model")])
    assert cache.stored_keys(["lexicon:1", "lexicon:2", "keywords:1", "absent"]) == {"lexicon:1", "keywords:1"}
    assert cache.stored_keys([]) == set()
    cache.close()
