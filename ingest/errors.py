"""Domain errors of the knowledge store; the CLI edge turns them into clean one-line messages."""

from __future__ import annotations


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
