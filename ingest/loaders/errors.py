"""The one exception every loader raises: a refusal worded for the admin who uploaded the file.

Its own module because every step of loading (reading, decoding, front matter, parsing) refuses
files in the same words, and none of them should depend on the others to do so.
"""

from __future__ import annotations


class LoadError(Exception):
    """A file that cannot be ingested; str() is ONE line naming the reason (the caller prefixes the path)."""

    def __init__(self, reason: str) -> None:
        self.reason = " ".join(reason.split())
        super().__init__(self.reason)
