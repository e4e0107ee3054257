"""Run the risky document parsers (pypdf, python-docx, BeautifulSoup) in a limited child process.

pypdf has a long history of infinite loops and memory blow-ups on hostile files, BeautifulSoup
takes seconds per MB of HTML and builds a tree many times its size, and a knowledge-base upload
is untrusted input. The child is a fresh interpreter (not a fork of the bot, so it inherits none
of its state, secrets or threads) with an address-space limit, and the parent kills it when the
wall-clock limit passes.

One file: `run_parser` starts a one-shot child. Many files (an ingest run): a `ParserPool`
keeps one warm interpreter per format that forks a limited worker per file (see ParserPool).

Protocol: the parent runs ``python -P ingest/loaders/sandbox.py <kind> <memory_mb> <cpu_s>
<max_chars>``, writes the file's bytes to the child's stdin and reads one JSON object
from its stdout:
``{"status": "ok", "blocks": [[kind, text], ...], "meta": {...}}`` or
``{"status": "error", "kind": ..., "detail": ...}``.
A block kind is "h1".."h6", "p", "li" or "row"; the parent renders them as Markdown.

This module imports only the standard library at the top, because the child runs it
as a script; the parsers are imported inside the extractor functions (HTML's extraction code
lives in ingest.loaders.htmltext, which only the child imports).
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import io
import json
import logging
import math
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from ingest.child import die_with_parent

logger = logging.getLogger(__name__)

ParserKind = Literal["pdf", "docx", "html"]
Block = tuple[str, str]

# The child exits with this code when it runs out of memory; a code rather than a JSON
# message because, at that point, building and writing a message may itself fail.
EXIT_MEMORY = 86

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

_STDERR_TAIL_BYTES = 2000
_DETAIL_MAX_CHARS = 160
# A worker that exits with an uncaught error (our bug, not the file's) uses this code.
EXIT_CRASHED = 70


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


def run_parser(
    kind: ParserKind,
    data: bytes,
    *,
    timeout_s: float,
    memory_mb: int,
    max_chars: int,
) -> SandboxResult:
    """Parse ``data`` as ``kind`` in a child process; raise SandboxError on any failure."""
    cpu_s = math.ceil(timeout_s) + _CPU_GRACE_S
    command = _child_command(kind, memory_mb, cpu_s, max_chars)
    with tempfile.TemporaryFile() as stderr_file:
        returncode, stdout = _run_child(command, data, timeout_s, stderr_file)
        if returncode != 0:
            _log_stderr_tail(kind, returncode, stderr_file)
    return _interpret(returncode, stdout)


def _child_command(kind: ParserKind, memory_mb: int, cpu_s: int, max_chars: int) -> list[str]:
    """Build the child's argv; ``-P`` keeps this file's folder off the child's sys.path."""
    script = str(Path(__file__).resolve())
    return [sys.executable, "-P", script, kind, str(memory_mb), str(cpu_s), str(max_chars)]


def _child_env() -> dict[str, str]:
    """Return the few environment variables the child needs to start (no secrets)."""
    return {name: os.environ[name] for name in _ENV_ALLOWLIST if name in os.environ}


def _run_child(command: Sequence[str], data: bytes, timeout_s: float, stderr_file: IO[bytes]) -> tuple[int, bytes]:
    """Run the child to completion or kill it at the deadline; never leave it running."""
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr_file,
            env=_child_env(),
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


def _interpret(returncode: int, stdout: bytes) -> SandboxResult:
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


# ------------------------------------------------------------------------ pool, parent side

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
                cpu_s=math.ceil(timeout_s) + _CPU_GRACE_S,
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
        return _interpret(int(reply.get("returncode", EXIT_CRASHED)), payload)

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
    """One pool process: `python -P sandbox.py serve KIND`, spoken to over its stdin/stdout pipes."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        script = str(Path(__file__).resolve())
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-P", script, "serve", kind],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=_child_env(),
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


class _ChildError(Exception):
    """A failure the child reports to the parent with a specific kind."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


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


def _describe(exc: BaseException) -> str:
    """One short line for an exception, without object reprs a non-programmer can't read."""
    text = str(exc) or type(exc).__name__
    text = re.sub(r"<[^<>]* at 0x[0-9a-fA-F]+>", "the file", text)
    text = " ".join(text.split())
    if len(text) > _DETAIL_MAX_CHARS:
        text = text[: _DETAIL_MAX_CHARS - 1] + "…"
    return text


class _TextBudget:
    """Stops extraction early once the text is far over the caller's character limit."""

    def __init__(self, max_chars: int) -> None:
        # Twice the limit: cleaning (dropping spaces, control characters) can shrink the
        # text, so the exact check is the parent's; this only bounds the child's output.
        self.remaining = 2 * max_chars

    def take(self, text: str) -> None:
        self.remaining -= len(text)
        if self.remaining < 0:
            raise _ChildError("too_long")


def _extract_pdf(data: bytes, max_chars: int) -> SandboxResult:
    """Extract each page's text with pypdf, plus the info dictionary's title and author."""
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(data))
        # pypdf already tried the empty user password; PDFs that only restrict printing
        # or copying open that way. Anything still locked needs a password we don't have.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise _ChildError("encrypted")
    except DependencyError as exc:
        # pypdf decrypts AES only with the optional 'cryptography' package.
        logger.debug("pypdf dependency missing: %s", exc)
        raise _ChildError("encrypted", "AES encryption needs the 'cryptography' package on the server") from exc
    except FileNotDecryptedError as exc:
        raise _ChildError("encrypted") from exc

    budget = _TextBudget(max_chars)
    blocks: list[Block] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text()
        except FileNotDecryptedError as exc:
            raise _ChildError("encrypted") from exc
        except Exception as exc:  # pypdf raises many types on broken pages; name the page
            if _is_out_of_memory(exc):
                raise
            raise _ChildError("unreadable", f"page {number}: {_describe(exc)}") from exc
        budget.take(text)
        blocks.append(("p", text))
    return SandboxResult(blocks=blocks, meta=_pdf_meta(reader))


def _pdf_meta(reader: Any) -> dict[str, str]:
    """Title and author from the PDF info dictionary, when they are non-empty strings."""
    try:
        info = reader.metadata
        values = {"title": info.title if info else None, "author": info.author if info else None}
    except MemoryError:
        raise
    except Exception:  # a broken info dictionary should not cost us the text
        logger.debug("ignoring unreadable PDF metadata", exc_info=True)
        return {}
    return {key: str(value).strip() for key, value in values.items() if isinstance(value, str) and value.strip()}


_HEADING_STYLE_RE = re.compile(r"heading\s*([1-9])", re.IGNORECASE)


def _extract_docx(data: bytes, max_chars: int) -> SandboxResult:
    """Extract paragraphs (with heading and list styles) and tables with python-docx."""
    import docx

    document = docx.Document(io.BytesIO(data))
    budget = _TextBudget(max_chars)
    blocks: list[Block] = []
    for element in _docx_body_elements(document.element.body):
        for block in _docx_blocks(element, document):
            budget.take(block[1])
            blocks.append(block)
    return SandboxResult(blocks=blocks, meta=_docx_meta(document))


def _docx_body_elements(body: Any) -> Iterator[Any]:
    """Yield the body's w:p and w:tbl elements in order, including those in content controls.

    Hand-written because python-docx's iter_inner_content() skips paragraphs wrapped in
    w:sdt (content controls), which templates and tables of contents use.
    """
    from docx.oxml.ns import qn

    paragraph, table, sdt, sdt_content = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")
    stack = list(reversed(list(body)))
    while stack:
        element = stack.pop()
        if element.tag in (paragraph, table):
            yield element
        elif element.tag == sdt:
            for content in element.iterchildren(sdt_content):
                stack.extend(reversed(list(content)))


def _docx_blocks(element: Any, document: Any) -> list[Block]:
    """Turn one w:p or w:tbl element into blocks."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    if element.tag == qn("w:tbl"):
        return _docx_table_rows(element)
    text = _docx_paragraph_text(element).strip()
    if not text:
        return []
    style = Paragraph(element, document).style
    kind = _docx_paragraph_kind((style.name if style is not None else None) or "", element)
    if kind != "p":
        text = " ".join(text.split())
    return [(kind, text)]


# Inline wrappers whose runs are part of the paragraph's text. Deleted text (w:del,
# w:moveFrom) and text boxes (inside w:drawing / mc:AlternateContent) are left out.
_DOCX_RUN_WRAPPERS = ("w:hyperlink", "w:ins", "w:moveTo", "w:smartTag", "w:sdt", "w:sdtContent", "w:fldSimple")


def _docx_paragraph_text(paragraph: Any) -> str:
    """A paragraph's visible text, including tracked insertions.

    Hand-written because python-docx's Paragraph.text reads only direct runs and
    hyperlinks, so text typed with track changes on (w:ins) or inside inline content
    controls silently disappears.
    """
    from docx.oxml.ns import qn

    run, wrappers = qn("w:r"), {qn(name) for name in _DOCX_RUN_WRAPPERS}
    pieces: list[str] = []
    stack = list(reversed(list(paragraph)))
    while stack:
        element = stack.pop()
        if element.tag == run:
            pieces.append(element.text or "")
        elif element.tag in wrappers:
            stack.extend(reversed(list(element)))
    return "".join(pieces)


def _docx_paragraph_kind(name: str, element: Any) -> str:
    """Map a paragraph's style name to a block kind: "hN" for headings, "li" for lists."""
    if name.lower() == "title":
        return "h1"
    match = _HEADING_STYLE_RE.fullmatch(name.strip())
    if match:
        return f"h{min(int(match.group(1)), 6)}"
    if name.lower().startswith("list"):
        return "li"
    # Lists made with direct numbering (e.g. by Google Docs) keep the Normal style.
    ppr = element.pPr
    if ppr is not None and ppr.numPr is not None:
        return "li"
    return "p"


def _docx_table_rows(table: Any) -> list[Block]:
    """One "row" block per table row, cells joined by " | ".

    Walks the XML rather than python-docx's Table.rows/cells, which repeat the text of
    merged cells and have raised on irregular grids.
    """
    from docx.oxml.ns import qn

    rows: list[Block] = []
    for row in table.iterchildren(qn("w:tr")):
        cells = []
        for cell in row.iterchildren(qn("w:tc")):
            texts = (_docx_paragraph_text(p) for p in cell.iter(qn("w:p")))
            cells.append(" ".join(" ".join(texts).split()))
        if any(cells):
            rows.append(("row", " | ".join(cells)))
    return rows


def _docx_meta(document: Any) -> dict[str, str]:
    """Title and author from the core properties, when the file has them and they are non-empty."""
    from docx.opc.constants import RELATIONSHIP_TYPE

    try:
        # Without docProps/core.xml python-docx invents defaults (title "Word Document"), which
        # would become the article's title; the first heading or the file name is better.
        document.part.package.part_related_by(RELATIONSHIP_TYPE.CORE_PROPERTIES)
    except KeyError:
        return {}
    try:
        props = document.core_properties
        values = {"title": props.title, "author": props.author}
    except MemoryError:
        raise
    except Exception:  # broken docProps/core.xml should not cost us the text
        logger.debug("ignoring unreadable DOCX core properties", exc_info=True)
        return {}
    return {key: value.strip() for key, value in values.items() if isinstance(value, str) and value.strip()}


def _extract_html(data: bytes, max_chars: int) -> SandboxResult:
    """The visible main content of a page (the parent has already decoded and cleaned it)."""
    from bs4.builder import ParserRejectedMarkup

    from ingest.loaders import htmltext

    try:
        blocks, meta = htmltext.extract(data.decode("utf-8"))
    except ParserRejectedMarkup as exc:
        raise _ChildError("unreadable", _describe(exc)) from exc
    except RecursionError as exc:
        raise _ChildError("unreadable", "elements are nested too deeply") from exc
    budget = _TextBudget(max_chars)
    for _, text in blocks:
        budget.take(text)
    return SandboxResult(blocks=blocks, meta=meta)


_EXTRACTORS = {"pdf": _extract_pdf, "docx": _extract_docx, "html": _extract_html}
_PARSER_MODULES = {"pdf": "pypdf", "docx": "docx", "html": "ingest.loaders.htmltext"}


def _import_parser(kind: str) -> None:
    """Import the parser before any limit, so that a failure means it is missing, not the limit.

    -P keeps ingest/ itself off sys.path (its modules must not shadow the standard library); the
    project root is appended instead, for ingest.loaders.htmltext when the project is not installed.
    """
    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:
        sys.path.append(root)
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
        message: dict[str, object] = {"status": "error", "kind": "setup", "detail": _describe(exc)}
    else:
        _set_limits(memory_mb, cpu_s)
        message = _parse_bytes(kind, sys.stdin.buffer.read, max_chars)
    try:
        out.write(_encode(message))
        out.flush()
    except MemoryError:
        os._exit(EXIT_MEMORY)
    return 0


def _encode(message: dict[str, object]) -> bytes:
    # ensure_ascii keeps lone surrogates (pypdf can produce them) encodable.
    return json.dumps(message, ensure_ascii=True).encode("ascii")


def _parse_bytes(kind: str, read: Callable[[], bytes], max_chars: int) -> dict[str, object]:
    """Run the extractor on the file's bytes; exit with EXIT_MEMORY if memory runs out."""
    try:
        data = read()
        result = _EXTRACTORS[kind](data, max_chars)
    except _ChildError as failure:
        return {"status": "error", "kind": failure.kind, "detail": failure.detail}
    except Exception as exc:  # noqa: BLE001 - the child exists to turn any parser failure into one line
        if _is_out_of_memory(exc):
            os._exit(EXIT_MEMORY)
        return {"status": "error", "kind": "unreadable", "detail": _describe(exc)}
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
        out.write(json.dumps({"ready": False, "detail": _describe(exc)}).encode() + b"\n")
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
                pipe.write(_encode(message))
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
        payload, status = _encode({"status": "error", "kind": "too_long"}), 0
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


def _is_out_of_memory(exc: BaseException) -> bool:
    """MemoryError, or the ways a lazy import or mmap reports hitting RLIMIT_AS."""
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, OSError) and exc.errno == errno.ENOMEM:
        return True
    message = str(exc).lower()
    return isinstance(exc, (ImportError, OSError)) and (
        "failed to map segment" in message or "cannot allocate memory" in message
    )


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
