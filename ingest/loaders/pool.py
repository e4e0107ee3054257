"""Warm parser processes for a batch of files: one interpreter per format that forks a worker per file."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from ingest.loaders.protocol import (
    EXIT_CRASHED,
    WORKER_SCRIPT,
    ParserKind,
    SandboxError,
    SandboxResult,
    child_env,
    cpu_limit_s,
    interpret,
)
from ingest.loaders.sandbox import run_parser

logger = logging.getLogger(__name__)


# The pool process must answer within the worker's limit plus this; otherwise it is wedged and is
# killed with its worker (its process group).
_SERVER_GRACE_S = 5.0
# Starting a pool process means importing the parser (~0.5 s, more on a busy machine).
_SERVER_START_S = 60.0
_READ_CHUNK = 1 << 16


class ParserPool:
    """Warm parser processes for a batch of files, e.g. one ingest run; close() (or `with`) ends them.

    A one-shot child spends 0.3-0.5 s importing its parser before it reads a byte, which dominates an
    ingest of hundreds of small PDFs. A pool keeps, per format, a fresh interpreter (same withheld
    environment as a one-shot child) that imports the parser once and then forks one worker per file.
    Each worker gets the same address-space and CPU limits as a one-shot child, starts from the pool
    process's state (which never parses anything itself, so no earlier file's parse can have left a
    mark on it), and is killed by the pool process at the wall-clock deadline; a pool process that
    does not answer in time is killed with its worker. Workers die with their pool process
    (PR_SET_PDEATHSIG); a pool process exits when its input closes, so none outlives the process
    that started it.

    Thread-safe: concurrent callers get separate pool processes. Where fork() is missing, files are
    parsed by one-shot children.
    """

    def __init__(self) -> None:
        self._idle: dict[str, list[_Server]] = {}
        self._all: list[_Server] = []
        self._lock = threading.Lock()
        self._closed = False
        self.peak_rss_kb: dict[str, int] = {}
        """The highest peak RSS (from wait4) of any worker, per format: for reports and tests."""

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, kind: ParserKind, data: bytes, *, timeout_s: float, memory_mb: int, max_chars: int) -> SandboxResult:
        """Parse ``data`` as ``kind`` in a fresh limited worker; raise SandboxError on any failure."""
        if not hasattr(os, "fork"):  # pragma: no cover - POSIX only
            return run_parser(kind, data, timeout_s=timeout_s, memory_mb=memory_mb, max_chars=max_chars)
        server = self._checkout(kind)
        healthy = False
        try:
            reply, payload = server.request(
                data,
                timeout_s=timeout_s,
                memory_mb=memory_mb,
                cpu_s=cpu_limit_s(timeout_s),
                max_chars=max_chars,
            )
            healthy = True
        finally:
            self._checkin(server, healthy)
        peak = int(reply.get("peak_rss_kb", 0))
        with self._lock:
            self.peak_rss_kb[kind] = max(self.peak_rss_kb.get(kind, 0), peak)
        if reply.get("timed_out"):
            raise SandboxError("timeout")
        return interpret(int(reply.get("returncode", EXIT_CRASHED)), payload)

    def close(self) -> None:
        """End every pool process: close its input (it exits), or kill its group if it lingers."""
        with self._lock:
            self._closed = True
            servers, self._all, self._idle = self._all, [], {}
        for server in servers:
            server.close()

    def _checkout(self, kind: str) -> _Server:
        dead: list[_Server] = []
        with self._lock:
            if self._closed:
                raise SandboxError("crashed", "the parser pool is closed")
            idle = self._idle.setdefault(kind, [])
            while idle:
                server = idle.pop()
                if server.alive():
                    return server
                dead.append(server)  # killed from outside (e.g. the OOM killer) while idle
                self._all.remove(server)
        for server in dead:
            server.close()
        server = _Server(kind)  # started outside the lock: it takes a while
        with self._lock:
            if not self._closed:
                self._all.append(server)
                return server
        server.close()
        raise SandboxError("crashed", "the parser pool is closed")

    def _checkin(self, server: _Server, healthy: bool) -> None:
        with self._lock:
            if healthy and not self._closed and server.alive():
                self._idle.setdefault(server.kind, []).append(server)
                return
            if server in self._all:
                self._all.remove(server)
        server.close()


class _Server:
    """One pool process: `python -P worker.py serve KIND`, spoken to over its stdin/stdout pipes."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-P", WORKER_SCRIPT, "serve", kind],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=child_env(),
                close_fds=True,
                # Its own process group, so that a wedged pool process is killed with its worker.
                start_new_session=True,
            )
        except OSError as exc:
            raise SandboxError("crashed", f"could not start the parser process: {exc.strerror or exc}") from exc
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = self.proc.stdin.fileno()
        self._out = self.proc.stdout.fileno()
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        self._buffer = bytearray()
        try:
            ready = json.loads(self._read_line(time.monotonic() + _SERVER_START_S))
        except (SandboxError, ValueError, OSError) as exc:
            self.close()
            raise SandboxError("crashed", "the parser process did not start") from exc
        if not isinstance(ready, dict) or not ready.get("ready"):
            self.close()
            detail = str(ready.get("detail", "")) if isinstance(ready, dict) else ""
            raise SandboxError("setup", detail)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def request(
        self, data: bytes, *, timeout_s: float, memory_mb: int, cpu_s: int, max_chars: int
    ) -> tuple[dict[str, Any], bytes]:
        """Send one file, return the pool process's reply and the worker's output."""
        header = {"size": len(data), "timeout_s": timeout_s, "memory_mb": memory_mb, "cpu_s": cpu_s}
        header["max_chars"] = max_chars
        deadline = time.monotonic() + timeout_s + _SERVER_GRACE_S
        try:
            self._write_all(json.dumps(header).encode() + b"\n", deadline)
            self._write_all(data, deadline)
            reply = json.loads(self._read_line(deadline))
            if not isinstance(reply, dict):
                raise ValueError("not an object")
            payload = self._read_exact(int(reply.get("size", 0)), deadline)
        except ValueError as exc:
            raise SandboxError("crashed", "parser process returned a malformed reply") from exc
        except OSError as exc:  # BrokenPipeError: the pool process died
            raise SandboxError("crashed", f"parser process exited unexpectedly ({exc.strerror or exc})") from exc
        return reply, payload

    def close(self) -> None:
        """Close its input so it exits; kill its whole group if it has not exited soon after."""
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    logger.debug("closing a parser pipe failed", exc_info=True)
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._kill_group()

    def _kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
            logger.error("parser pool process %s did not exit after SIGKILL", self.proc.pid)

    def _wait(self, fd: int, write: bool, deadline: float) -> None:
        """Wait until ``fd`` is ready; at the deadline kill the pool process (it is wedged)."""
        remaining = max(0.0, deadline - time.monotonic())
        ready = select.select([], [fd], [], remaining) if write else select.select([fd], [], [], remaining)
        if not any(ready):
            self._kill_group()
            raise SandboxError("timeout")

    def _write_all(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            self._wait(self._in, True, deadline)
            try:
                written = os.write(self._in, view[:_READ_CHUNK])
            except BlockingIOError:
                continue
            view = view[written:]

    def _fill(self, deadline: float) -> None:
        self._wait(self._out, False, deadline)
        try:
            chunk = os.read(self._out, _READ_CHUNK)
        except BlockingIOError:
            return
        if not chunk:
            raise BrokenPipeError(errno.EPIPE, "no reply")
        self._buffer += chunk

    def _read_line(self, deadline: float) -> bytes:
        while b"\n" not in self._buffer:
            self._fill(deadline)
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        return line

    def _read_exact(self, size: int, deadline: float) -> bytes:
        while len(self._buffer) < size:
            self._fill(deadline)
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out


# ---------------------------------------------------------------------------- child side
