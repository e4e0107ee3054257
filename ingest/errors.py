"""Domain errors of the knowledge store, and the exit codes both CLIs (`python -m ingest`,
`python -m bot`) give them; the CLI edge turns them into clean one-line messages."""

from __future__ import annotations

EXIT_PARTIAL = 1
"""Some files were refused (the rest went live)."""
EXIT_USAGE = 2
"""A bad command line or config.yaml, or a request refused (an unknown role)."""
EXIT_QUALITY = 3
"""A quality bar not met: the ingest's gate refused a version, or `bot eval` fell below its floors."""
EXIT_LOCKED = 4
"""Another ingest holds the writer lock."""
EXIT_ERROR = 5
"""Anything else an admin must act on (the store unavailable, no space left on device...)."""


class IngestError(Exception):
    """Base class: anything an admin can act on, with a message written for them."""


class ConfigError(IngestError):
    """config.yaml is missing, malformed or has a bad value; the message names the key."""


class LockedError(IngestError):
    """Another ingest holds the writer lock; two writers would corrupt the store."""


class ModelMismatchError(IngestError):
    """The live index was built with a different embedding model than the one configured."""


class NoLiveVersionError(IngestError):
    """Nothing has been ingested yet (or the live pointer is gone)."""


class VersionNotFoundError(IngestError):
    """A rollback named a version that does not exist or is incomplete."""


class StoreUnavailableError(IngestError):
    """The store cannot be read right now (the Chroma server is stopped, killed or hung; the live
    version's folder is gone or unreadable); front ends report 'temporarily unavailable'.

    `timed_out`: the server accepted the request but did not answer in time (hung, not gone), so the
    reader fails fast for a moment instead of letting every caller wait out a timeout of its own.
    """

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class DamagedError(IngestError):
    """A file we keep is not what was written (a disk error, a truncation, a half-restored backup):
    `part` names it for admins (in /stats and `python -m ingest list`), `problem` says what is wrong."""

    def __init__(self, part: str, problem: str) -> None:
        super().__init__(f"{part} is damaged: {problem}")
        self.part = part
        self.problem = problem


class VersionDamagedError(DamagedError):
    """A kept version's files or manifest are damaged; readers serve an intact older version and
    `--repair` drops this one."""

    def __init__(self, version: str, problem: str) -> None:
        super().__init__(f"version {version}", problem)
        self.version = version


class NoSpaceError(IngestError):
    """The disk under store.path is (nearly) full; the live version was not touched."""


def reason(exc: BaseException) -> str:
    """A short cause for an admin, without a traceback."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
