"""The parser child: import the parser, set limits, parse stdin, write one message (ingest.loaders.protocol).

Run as a script (`python -P worker.py ...`), once per file, or as a pool process (`worker.py serve KIND`)
that forks one limited worker per file (ingest.loaders.pool). It imports only the standard library and
our stdlib-only modules before its limits are set; the parser itself is imported first, deliberately.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import select
import signal
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import IO, Any

from ingest.child import die_with_parent
from ingest.loaders.extractors import EXTRACTORS, ChildError, describe, is_out_of_memory
from ingest.loaders.protocol import EXIT_CRASHED, EXIT_MEMORY, encode


def _set_limits(memory_mb: int, cpu_s: int) -> None:
    """Cap the child's address space, CPU time and core dumps before any parsing."""
    import resource  # POSIX only; imported here so the parent's import stays portable

    def cap(which: int, soft: int, hard: int) -> None:
        _, current_hard = resource.getrlimit(which)
        if current_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, current_hard), min(hard, current_hard)
        resource.setrlimit(which, (soft, hard))

    memory = memory_mb * 1024 * 1024
    cap(resource.RLIMIT_AS, memory, memory)
    cap(resource.RLIMIT_CPU, cpu_s, cpu_s + 1)
    cap(resource.RLIMIT_CORE, 0, 0)


_PARSER_MODULES = {"pdf": "pypdf", "docx": "docx", "html": "ingest.loaders.htmltext"}


def _import_parser(kind: str) -> None:
    """Import the parser before any limit, so that a failure means it is missing, not the limit.

    -P keeps ingest/loaders/ itself off sys.path (its modules must not shadow the standard library);
    the project is importable because it is installed (this script's own imports above need it too).
    """
    importlib.import_module(_PARSER_MODULES[kind])


def _child_setup() -> IO[bytes]:
    """Quiet the libraries, and return a private copy of stdout for our messages.

    fd 1 then points at stderr, so that anything a library prints cannot corrupt a message.
    """
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    return out


def _child_main(argv: Sequence[str]) -> int:
    """Entry point of the child: import the parser, set limits, parse stdin, write one JSON message."""
    if argv and argv[0] == "serve":
        return _serve_main(argv[1])
    kind, memory_mb, cpu_s, max_chars = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    out = _child_setup()
    try:
        _import_parser(kind)
    except ImportError as exc:
        message: dict[str, object] = {"status": "error", "kind": "setup", "detail": describe(exc)}
    else:
        _set_limits(memory_mb, cpu_s)
        message = _parse_bytes(kind, sys.stdin.buffer.read, max_chars)
    try:
        out.write(encode(message))
        out.flush()
    except MemoryError:
        os._exit(EXIT_MEMORY)
    return 0


def _parse_bytes(kind: str, read: Callable[[], bytes], max_chars: int) -> dict[str, object]:
    """Run the extractor on the file's bytes; exit with EXIT_MEMORY if memory runs out."""
    try:
        data = read()
        result = EXTRACTORS[kind](data, max_chars)
    except ChildError as failure:
        return {"status": "error", "kind": failure.kind, "detail": failure.detail}
    except Exception as exc:  # noqa: BLE001 - the child exists to turn any parser failure into one line
        if is_out_of_memory(exc):
            os._exit(EXIT_MEMORY)
        return {"status": "error", "kind": "unreadable", "detail": describe(exc)}
    return {"status": "ok", "blocks": result.blocks, "meta": result.meta}


# ---------------------------------------------------------------------------- pool process


def _serve_main(kind: str) -> int:
    """A pool process: import the parser once, then fork one limited worker per request.

    Requests on stdin: a JSON line {size, timeout_s, memory_mb, cpu_s, max_chars} and `size` bytes.
    Replies on stdout: a JSON line {returncode, timed_out, peak_rss_kb, size} and `size` bytes of
    the worker's message (what a one-shot child prints). It exits when stdin closes.
    """
    out = _child_setup()
    stdin = sys.stdin.buffer
    try:
        _import_parser(kind)
    except ImportError as exc:
        out.write(json.dumps({"ready": False, "detail": describe(exc)}).encode() + b"\n")
        out.flush()
        return 0
    out.write(b'{"ready": true}\n')
    out.flush()
    while True:
        line = stdin.readline()
        if not line:
            return 0
        request = json.loads(line)
        data = stdin.read(int(request["size"]))
        if len(data) < int(request["size"]):
            return 0
        reply, payload = _fork_worker(kind, data, request, out)
        del data
        try:
            out.write(json.dumps({**reply, "size": len(payload)}).encode() + b"\n" + payload)
            out.flush()
        except BrokenPipeError:
            return 0


def _fork_worker(kind: str, data: bytes, request: dict[str, Any], out: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    """Fork a worker that parses ``data`` under limits; collect its message, kill it at the deadline."""
    read_fd, write_fd = os.pipe()
    pool_pid = os.getpid()
    pid = os.fork()
    if pid == 0:  # the worker: never returns into the pool loop
        code = EXIT_CRASHED
        try:
            os.close(read_fd)
            out.close()
            os.close(0)
            die_with_parent(pool_pid, EXIT_CRASHED)
            _set_limits(int(request["memory_mb"]), int(request["cpu_s"]))
            message = _parse_bytes(kind, lambda: data, int(request["max_chars"]))
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(encode(message))
            code = 0
        except MemoryError:
            code = EXIT_MEMORY
        except BaseException:  # noqa: BLE001, S110 - whatever happens, the worker must _exit here
            pass
        finally:
            os._exit(code)
    os.close(write_fd)
    # The message is at most ~6 bytes per character of twice max_chars (JSON \u escapes), plus blocks.
    limit = 16 * int(request["max_chars"]) + (1 << 20)
    payload, state = _collect(read_fd, pid, float(request["timeout_s"]), limit)
    os.close(read_fd)
    _, status, usage = os.wait4(pid, 0)
    if state == "oversize":
        payload, status = encode({"status": "error", "kind": "too_long"}), 0
    returncode = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    reply = {"returncode": returncode, "timed_out": state == "timeout", "peak_rss_kb": usage.ru_maxrss}
    return reply, payload


def _collect(fd: int, pid: int, timeout_s: float, limit: int) -> tuple[bytes, str]:
    """Read the worker's message until EOF ("ok"); SIGKILL it at the deadline ("timeout") or past
    the size limit ("oversize")."""
    deadline = time.monotonic() + timeout_s
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            os.kill(pid, signal.SIGKILL)
            return b"", "timeout"
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks), "ok"
        size += len(chunk)
        if size > limit:
            os.kill(pid, signal.SIGKILL)
            return b"", "oversize"
        chunks.append(chunk)


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
