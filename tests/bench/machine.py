"""Machine facts for the report: figures mean little without the hardware and versions behind them."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[2]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git(*args: str) -> str | None:
    """Read-only git queries (rev-parse, status) on the repo; None outside a checkout."""
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def git_commit() -> dict[str, Any]:
    status = _git("status", "--porcelain")
    return {"sha": _git("rev-parse", "HEAD"), "dirty": bool(status) if status is not None else None}


def machine_facts() -> dict[str, Any]:
    import torch  # the bench process loads it anyway for the model

    return {
        "cpu_count": os.cpu_count(),
        "cpu_physical": psutil.cpu_count(logical=False),
        "cpu_model": _cpu_model(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": _version("torch"),
        "torch_threads": torch.get_num_threads(),
        "chromadb": _version("chromadb"),
        "sentence_transformers": _version("sentence-transformers"),
        "transformers": _version("transformers"),
        "langchain_core": _version("langchain-core"),
        "langchain_chroma": _version("langchain-chroma"),
        "python_telegram_bot": _version("python-telegram-bot"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
