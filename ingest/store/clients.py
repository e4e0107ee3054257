"""The Chroma clients: an embedded PersistentClient per version folder, or an HttpClient to `chroma run`.

The writer and the readers both open their clients here, so they agree on the client settings and on
the collections' distance. chromadb is imported on first use, never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.errors import StoreUnavailableError
from ingest.settings import StoreSettings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI


def chroma_settings() -> Any:
    """Chroma client settings: no telemetry (no network), no reset endpoint."""
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


HNSW = {"hnsw": {"space": "cosine"}}
"""Every collection we create: cosine distance, as the embedding model is trained for."""


def embedded_client(path: Path) -> ClientAPI:
    """A PersistentClient on one version folder; only ever one writer per folder."""
    import chromadb

    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings())


def server_client(store: StoreSettings) -> ClientAPI:
    """An HttpClient to `chroma run`; unreachable servers become StoreUnavailableError."""
    import chromadb

    try:
        return chromadb.HttpClient(host=store.host, port=store.port, ssl=store.ssl, settings=chroma_settings())
    except (ValueError, ConnectionError, OSError) as exc:
        raise StoreUnavailableError(
            f"the Chroma server at {store.host}:{store.port} is not reachable ({exc.__class__.__name__})"
        ) from exc
