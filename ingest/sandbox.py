"""Run the risky document parsers (pypdf, python-docx) in a short-lived child process.

pypdf has a long history of infinite loops and memory blow-ups on hostile files, and a
knowledge-base upload is untrusted input. The child is a fresh interpreter (not a fork of
the bot, so it inherits none of its state, secrets or threads) with an address-space
limit, and the parent kills it when the wall-clock limit passes.

Protocol: the parent runs ``python -P ingest/sandbox.py <kind> <memory_mb> <cpu_s>
<max_chars>``, writes the file's bytes to the child's stdin and reads one JSON object
from its stdout:
``{"status": "ok", "blocks": [[kind, text], ...], "meta": {...}}`` or
``{"status": "error", "kind": ..., "detail": ...}``.
A block kind is "h1".."h6", "p", "li" or "row"; the parent renders them as Markdown.

This module imports only the standard library at the top, because the child runs it
as a script; the parsers are imported inside the extractor functions.
"""

from __future__ import annotations

import errno
import importlib
import io
import json
import logging
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

logger = logging.getLogger(__name__)

ParserKind = Literal["pdf", "docx"]
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
    """Title and author from the core properties, when non-empty."""
    try:
        props = document.core_properties
        values = {"title": props.title, "author": props.author}
    except MemoryError:
        raise
    except Exception:  # broken docProps/core.xml should not cost us the text
        logger.debug("ignoring unreadable DOCX core properties", exc_info=True)
        return {}
    return {key: value.strip() for key, value in values.items() if isinstance(value, str) and value.strip()}


_EXTRACTORS = {"pdf": _extract_pdf, "docx": _extract_docx}
_PARSER_MODULES = {"pdf": "pypdf", "docx": "docx"}


def _child_main(argv: Sequence[str]) -> int:
    """Entry point of the child: import the parser, set limits, parse stdin, write one JSON message."""
    kind, memory_mb, cpu_s, max_chars = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    # The result goes to a private copy of stdout; fd 1 then points at stderr so that
    # anything a library prints cannot corrupt the JSON message.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    try:
        # Imported before the memory limit, so that a failure here means the library is
        # missing, not that the limit is too tight to load it.
        importlib.import_module(_PARSER_MODULES[kind])
    except ImportError as exc:
        message: dict[str, object] = {"status": "error", "kind": "setup", "detail": _describe(exc)}
    else:
        _set_limits(memory_mb, cpu_s)
        message = _parse_stdin(kind, max_chars)
    try:
        # ensure_ascii keeps lone surrogates (pypdf can produce them) encodable.
        out.write(json.dumps(message, ensure_ascii=True).encode("ascii"))
        out.flush()
    except MemoryError:
        os._exit(EXIT_MEMORY)
    return 0


def _parse_stdin(kind: str, max_chars: int) -> dict[str, object]:
    """Run the extractor on stdin's bytes; exit with EXIT_MEMORY if memory runs out."""
    try:
        data = sys.stdin.buffer.read()
        result = _EXTRACTORS[kind](data, max_chars)
    except _ChildError as failure:
        return {"status": "error", "kind": failure.kind, "detail": failure.detail}
    except Exception as exc:  # noqa: BLE001 - the child exists to turn any parser failure into one line
        if _is_out_of_memory(exc):
            os._exit(EXIT_MEMORY)
        return {"status": "error", "kind": "unreadable", "detail": _describe(exc)}
    return {"status": "ok", "blocks": result.blocks, "meta": result.meta}


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
