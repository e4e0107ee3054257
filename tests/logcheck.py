"""The suite-wide log check: every logger at DEBUG, one handler set up exactly as production sets up its
own (ingest.logs.configure_handler: our format, the redacting filter), writing to a file that is scanned
for every secret the tests used when the session ends.

It lives here, not in conftest.py, because conftest.py is imported twice (as `conftest` by pytest and as
`tests.conftest` by the harness): a registry defined there would exist twice and lose registrations.
Import it as `tests.logcheck` only.
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from ingest.logs import configure_handler, redactor

DEBUG_LOGGERS = (
    "",
    "telegram",
    "httpx",
    "httpcore",
    "chromadb",
    "openai",
    "langchain",
    "sentence_transformers",
    "transformers",
    "aiohttp",
    "asyncio",
    "bot",
    "ingest",
    "tests",
)
"""Set to DEBUG before every test: setup_logging (an in-process CLI test) quiets some of them again."""

_BARE_PTB = (
    "bare python-telegram-bot against the emulator: no product code runs, so the test does the "
    "product's part and registers its token with the redaction filter itself"
)
LIBRARY_ONLY = {f"test_emulator_{idea}": _BARE_PTB for idea in ("shapes", "app", "rules", "updates", "faults")}
"""Test modules whose secrets never pass through our code; everything else must be redacted by the product."""

SECRET_NAME = re.compile(r"^(?:[A-Z0-9_]*_)?(?:TOKEN|SECRET)(?:_[A-Z0-9_]*)?$|^(?:[A-Z0-9_]*_)?API_KEY$|^KEY$")
"""Module constants the scan picks up by themselves from loaded test modules: TOKEN, WEBHOOK_SECRET, KEY..."""

RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ", re.MULTILINE)
MARK_LOGGER = logging.getLogger("tests.logcheck")


@dataclass
class SecretRegistry:
    """Every secret string the tests hand to the product (tokens, webhook secrets, API keys).

    A bot token's part after ':' is a secret on its own (it is what authenticates). Values shorter than
    8 characters are refused: a scan for them would match ordinary text.
    """

    values: dict[str, str] = field(default_factory=dict)

    def add(self, value: str, what: str) -> str:
        """Register `value` (described by `what`); returns it, so a test can write TOKEN = SECRETS.add(...)."""
        if len(value) < 8:
            raise ValueError(f"{what}: a secret under 8 characters cannot be scanned for reliably")
        self.values.setdefault(value, what)
        if ":" in value:
            half = value.split(":", 1)[1]
            if len(half) >= 8:
                self.values.setdefault(half, f"{what} (the part after ':')")
        for plain, name in list(self.values.items()):
            if name.startswith(what) and (encoded := quote(plain, safe="")) != plain:
                self.values.setdefault(encoded, f"{name}, percent-encoded")
        return value

    def record_registrations(self) -> None:
        """Scan for every secret the product hands to the redaction filter too, in the whole log: a secret
        logged before it was registered (say, a token printed before build_application adds it) is caught."""
        filt = redactor()
        register = filt.add

        def add(*secrets: str) -> None:
            for secret in secrets:
                if secret and len(secret) >= 8:
                    self.add(secret, "a secret the product registered for redaction")
            register(*secrets)

        filt.add = add  # type: ignore[method-assign]

    def register_library_only(self, module: object) -> None:
        """For a LIBRARY_ONLY test module: its secret constants go to the filter, as the product would do."""
        for attr, value in vars(module).items():
            if isinstance(value, str) and SECRET_NAME.match(attr) and len(value) >= 8:
                redactor().add(value)

    def collect_from_modules(self) -> None:
        """Pick up secret-like constants of every loaded test module (test_*.py, tests.*), so a new test
        file that declares `TOKEN = ...` is scanned for without anyone remembering to register it."""
        for name, module in list(sys.modules.items()):
            if not (name.startswith(("test_", "tests.")) or name in ("conftest", "telegram_harness")):
                continue
            for attr, value in list(vars(module).items()):
                if isinstance(value, str) and SECRET_NAME.match(attr) and len(value) >= 8:
                    self.add(value, f"{name}.{attr}")


SECRETS = SecretRegistry()


@dataclass(frozen=True)
class Leak:
    """One secret found in the session log: what it is, how often, and the test that was running."""

    what: str
    count: int
    tests: tuple[str, ...]


class SessionLog:
    """The session's DEBUG log file, written through a production-configured handler."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handler = configure_handler(logging.FileHandler(path, encoding="utf-8"))
        self.handler.setLevel(logging.DEBUG)

    def start(self) -> None:
        logging.getLogger().addHandler(self.handler)
        self.debug_everything()
        SECRETS.record_registrations()

    def stop(self) -> None:
        logging.getLogger().removeHandler(self.handler)
        self.handler.close()

    @staticmethod
    def debug_everything() -> None:
        for name in DEBUG_LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)

    def mark(self, label: str) -> int:
        """Write a marker record (which test runs now) and return the file offset just after it."""
        MARK_LOGGER.debug("=== %s", label)
        self.handler.flush()
        return self.path.stat().st_size

    def text(self, since: int = 0) -> str:
        self.handler.flush()
        with self.path.open("rb") as f:
            f.seek(since)
            return f.read().decode("utf-8", errors="replace")

    def leaks(self, registry: SecretRegistry) -> tuple[list[Leak], int]:
        """Secrets found in the whole file, each with the tests whose section it is in; and the line count."""
        text = self.text()
        found: list[Leak] = []
        for value, what in sorted(registry.values.items(), key=lambda item: item[1]):
            count = text.count(value)
            if count:
                found.append(Leak(what, count, tuple(sorted(self._tests_around(text, value)))))
        return found, text.count("\n")

    @staticmethod
    def _tests_around(text: str, value: str) -> set[str]:
        tests: set[str] = set()
        start = text.find(value)
        while start >= 0:
            mark = text.rfind("tests.logcheck: === ", 0, start)
            end = text.find("\n", mark)
            tests.add(text[mark + len("tests.logcheck: === ") : end] if mark >= 0 else "(before the first test)")
            start = text.find(value, start + 1)
        return tests


def records(text: str) -> list[tuple[str, str]]:
    """(level, whole record text) for each record; a record's continuation lines (a traceback) stay with it."""
    starts = [m.start() for m in RECORD_START.finditer(text)]
    out: list[tuple[str, str]] = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[start:end]
        match = RECORD_START.match(chunk)
        assert match is not None
        out.append((match.group(1), chunk))
    return out


_SESSION: SessionLog | None = None


def session_log() -> SessionLog:
    """The running session's log (conftest starts it in pytest_sessionstart)."""
    if _SESSION is None:
        raise RuntimeError("the session log is not running (tests/conftest.py starts it)")
    return _SESSION


def start_session_log(path: Path) -> SessionLog:
    global _SESSION
    _SESSION = SessionLog(path)
    _SESSION.start()
    return _SESSION


def stop_session_log() -> SessionLog | None:
    global _SESSION
    log, _SESSION = _SESSION, None
    if log is not None:
        log.stop()
    return log
