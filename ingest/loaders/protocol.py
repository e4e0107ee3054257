"""What the parent and a parser child agree on: the result, the errors, the exit codes, the messages.

Protocol: the parent runs ``python -P ingest/loaders/worker.py <kind> <memory_mb> <cpu_s> <max_chars>``
(or ``worker.py serve <kind>`` for a pool process, see ingest.loaders.pool), writes the file's bytes to
the child's stdin and reads one JSON object from its stdout:
``{"status": "ok", "blocks": [[kind, text], ...], "meta": {...}}`` or
``{"status": "error", "kind": ..., "detail": ...}``.
A block kind is "h1".."h6", "p", "li" or "row"; the parent renders them as Markdown.

Only the standard library is imported: the child imports this module before any limit is set.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

logger = logging.getLogger(__name__)

ParserKind = Literal["pdf", "docx", "html"]
Block = tuple[str, str]

WORKER_SCRIPT = str(Path(__file__).with_name("worker.py").resolve())
"""The child's entry point, run as a script with ``-P`` so that ingest/ itself is not on its sys.path."""

# The child exits with this code when it runs out of memory; a code rather than a JSON
# message because, at that point, building and writing a message may itself fail.
EXIT_MEMORY = 86
# A worker that exits with an uncaught error (our bug, not the file's) uses this code.
EXIT_CRASHED = 70

# Extra CPU seconds granted beyond the wall-clock limit: RLIMIT_CPU is only a backstop
# that kills an orphaned child (e.g. if the parent itself died), the parent's wall-clock
# timeout must always fire first.
_CPU_GRACE_S = 5

# Environment variables the child may need to start Python; everything else (bot
# tokens, API keys) is withheld from a process that parses hostile input.
_ENV_ALLOWLIST = (
    "PATH",
    "PYTHONPATH",
    "PYTHONHOME",
    "LD_LIBRARY_PATH",
    "DYLD_LIBRARY_PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
)


@dataclass(frozen=True)
class SandboxResult:
    """What a parser extracted: ordered text blocks and the metadata the file declares."""

    blocks: list[Block]
    meta: dict[str, str] = field(default_factory=dict)


class SandboxError(Exception):
    """The child could not produce text; ``kind`` says why so the caller can word it.

    kind is one of: "encrypted", "unreadable", "too_long", "timeout", "memory",
    "setup" (a parser library is missing) or "crashed" (anything unexpected).
    """

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


# --------------------------------------------------------------------------- parent side


def child_command(kind: ParserKind, memory_mb: int, cpu_s: int, max_chars: int) -> list[str]:
    """Build a one-shot child's argv; ``-P`` keeps the script's folder off the child's sys.path."""
    return [sys.executable, "-P", WORKER_SCRIPT, kind, str(memory_mb), str(cpu_s), str(max_chars)]


def cpu_limit_s(timeout_s: float) -> int:
    """The child's RLIMIT_CPU for a wall-clock limit: the same for one-shot children and pool workers."""
    return math.ceil(timeout_s) + _CPU_GRACE_S


def child_env() -> dict[str, str]:
    """Return the few environment variables the child needs to start (no secrets)."""
    return {name: os.environ[name] for name in _ENV_ALLOWLIST if name in os.environ}


def interpret(returncode: int, stdout: bytes) -> SandboxResult:
    """Turn the child's exit status and output into a result or a SandboxError."""
    if returncode == EXIT_MEMORY:
        raise SandboxError("memory")
    if returncode < 0:
        if -returncode == signal.SIGXCPU:
            raise SandboxError("timeout")
        # Under RLIMIT_AS a child dying from a signal (SIGKILL from the OOM killer,
        # SIGABRT/SIGSEGV from a failed allocation in C code) has almost always run out
        # of memory.
        logger.warning("parser process killed by signal %s", _signal_name(-returncode))
        raise SandboxError("memory")
    if returncode != 0:
        raise SandboxError("crashed", f"parser process exited with code {returncode}")
    try:
        message = json.loads(stdout)
    except ValueError as exc:
        raise SandboxError("crashed", "parser process returned no result") from exc
    return _result_from_message(message)


def _result_from_message(message: Any) -> SandboxResult:
    """Validate the child's JSON message; it is our own code, but check the shape anyway."""
    if not isinstance(message, dict):
        raise SandboxError("crashed", "parser process returned a malformed result")
    if message.get("status") == "error":
        raise SandboxError(str(message.get("kind", "crashed")), str(message.get("detail", "")))
    blocks_raw = message.get("blocks")
    meta_raw = message.get("meta")
    if not isinstance(blocks_raw, list) or not isinstance(meta_raw, dict):
        raise SandboxError("crashed", "parser process returned a malformed result")
    blocks = [(str(item[0]), str(item[1])) for item in blocks_raw if isinstance(item, list) and len(item) == 2]
    meta = {str(key): str(value) for key, value in meta_raw.items()}
    return SandboxResult(blocks=blocks, meta=meta)


def _signal_name(number: int) -> str:
    """Name a signal number for a log line."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def encode(message: dict[str, object]) -> bytes:
    # ensure_ascii keeps lone surrogates (pypdf can produce them) encodable.
    return json.dumps(message, ensure_ascii=True).encode("ascii")
