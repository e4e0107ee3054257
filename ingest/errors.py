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
    """The Chroma server cannot be reached; callers report 'temporarily unavailable'."""
