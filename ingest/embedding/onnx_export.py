"""The ONNX export of the embedding model: made once per machine, in a child process, and checked.

`onnx_export` returns the folder of a model's export, making it first if needed. The export runs in a
fresh interpreter (`python -m ingest.embedding.onnx_export export MODEL_PATH DEST`), so torch never
enters a bot or ingest process and its memory goes away with the child. It is cached per user, keyed by
the model's files, and used only if its vectors match sentence-transformers' (MAX_EXPORT_DIFF).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ingest.embedding.encoders import OnnxEncoder, shape
from ingest.env import environment, prepare_process

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


def models_cache_dir() -> Path:
    """Per-user cache of ONNX exports. Not under store.path: every fresh store (each test's temp
    data dir, each new deployment folder) would otherwise pay the ~20 s export again."""
    base = environment().cache_home or Path.home() / ".cache"
    return base / "hiring-advisor" / "onnx"


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
    dimension, max_tokens = shape(st)
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

    The export runs as `python -m ingest.embedding.onnx_export` (a fresh interpreter, not multiprocessing, so the
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
                [sys.executable, "-m", "ingest.embedding.onnx_export", "export", path, str(tmp)],
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


if __name__ == "__main__":
    # `python -m ingest.embedding.onnx_export export MODEL_PATH DEST`: the export child (see onnx_export).
    prepare_process()
    if len(sys.argv) != 4 or sys.argv[1] != "export":
        raise SystemExit("usage: python -m ingest.embedding.onnx_export export MODEL_PATH DEST")
    print(json.dumps(_export(sys.argv[2], Path(sys.argv[3]))))
