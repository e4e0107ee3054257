"""Run the risky document parsers (pypdf, python-docx, BeautifulSoup) in a limited child process.

pypdf has a long history of infinite loops and memory blow-ups on hostile files, BeautifulSoup
takes seconds per MB of HTML and builds a tree many times its size, and a knowledge-base upload
is untrusted input. The child is a fresh interpreter (not a fork of the bot, so it inherits none
of its state, secrets or threads) with an address-space limit, and the parent kills it when the
wall-clock limit passes.

One file: `run_parser` starts a one-shot child (this module). Many files (an ingest run): a
`ingest.loaders.pool.ParserPool` keeps one warm interpreter per format that forks a limited worker
per file. The child's side is ingest.loaders.worker; what both sides agree on, ingest.loaders.protocol.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from collections.abc import Sequence
from typing import IO

from ingest.loaders.protocol import (
    ParserKind,
    SandboxError,
    SandboxResult,
    child_command,
    child_env,
    cpu_limit_s,
    interpret,
)

logger = logging.getLogger(__name__)

_STDERR_TAIL_BYTES = 2000


def run_parser(
    kind: ParserKind,
    data: bytes,
    *,
    timeout_s: float,
    memory_mb: int,
    max_chars: int,
) -> SandboxResult:
    """Parse ``data`` as ``kind`` in a child process; raise SandboxError on any failure."""
    cpu_s = cpu_limit_s(timeout_s)
    command = child_command(kind, memory_mb, cpu_s, max_chars)
    with tempfile.TemporaryFile() as stderr_file:
        returncode, stdout = _run_child(command, data, timeout_s, stderr_file)
        if returncode != 0:
            _log_stderr_tail(kind, returncode, stderr_file)
    return interpret(returncode, stdout)


def _run_child(command: Sequence[str], data: bytes, timeout_s: float, stderr_file: IO[bytes]) -> tuple[int, bytes]:
    """Run the child to completion or kill it at the deadline; never leave it running."""
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr_file,
            env=child_env(),
            close_fds=True,
        )
    except OSError as exc:
        raise SandboxError("crashed", f"could not start the parser process: {exc.strerror or exc}") from exc
    try:
        stdout, _ = proc.communicate(input=data, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise SandboxError("timeout") from None
    finally:
        # Whatever happened (timeout, KeyboardInterrupt, a pipe error), the child must
        # not outlive this call.
        if proc.poll() is None:
            _kill(proc)
    return proc.returncode, stdout


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child and reap it, so no zombie or orphan is left behind."""
    proc.kill()
    try:
        proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
        logger.error("parser process %s did not exit after SIGKILL", proc.pid)


def _log_stderr_tail(kind: str, returncode: int, stderr_file: IO[bytes]) -> None:
    """Log the end of the child's stderr at DEBUG; it helps diagnose parser crashes."""
    stderr_file.seek(0, os.SEEK_END)
    size = stderr_file.tell()
    stderr_file.seek(max(0, size - _STDERR_TAIL_BYTES))
    tail = stderr_file.read().decode("utf-8", "replace")
    logger.debug("%s parser exited with %s; stderr tail: %s", kind, returncode, tail)
