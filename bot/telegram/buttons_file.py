"""Buttons survive a restart: PTB's callback-data cache, saved to a JSON file beside the state file.

A PTB `BasePersistence` that stores the callback data only (no user, chat or bot data). PTB's own
PicklePersistence would do the job, but it rewrites its file in place (a crash mid-write loses every
button) and unpickling a file someone tampered with runs their code. Here the file is JSON, written
to a temporary file and moved over the old one (os.replace, atomic), owner-only; a file that is
unreadable or not shaped as we write it is ignored with a warning (the buttons then answer
"expired"), and what the buttons carry is checked again at each press (keyboards.parse).

What is saved: for each of the last keyboards (PTB keeps 1024, least recently used dropped first),
its id, last use and the data of its buttons (suggested questions, sources, role names: nothing a
user typed), and PTB's map of callback query ids to keyboard ids.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.settings import Settings

log = logging.getLogger(__name__)

FORMAT = 1
"""Bump when the file's layout changes; a file of another format is ignored (buttons expire once)."""
SAVE_EVERY_S = 60.0
"""How often PTB hands over the cache; a crash loses at most the buttons sent since (a stop loses none).
Not less: PTB deep-copies the whole cache on the event loop each time, ~30-60 ms once it is full."""

Data = dict[Any, Any]
# PTB's own names for these (telegram.ext._utils.types) are private: the same types, spelt out.
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]
"""The callback-data cache as PTB hands it over: (keyboard id, last use, button id -> data), query id -> keyboard id."""
ConversationKey = tuple[int | str, ...]
ConversationDict = MutableMapping[ConversationKey, object]


def buttons_path(settings: Settings) -> Path:
    """The file beside the state file: data/state.sqlite3 -> data/state.buttons.json."""
    return settings.state.path.with_suffix(".buttons.json")


def _decode(raw: object) -> CDCData | None:
    """The cache as PTB loads it, or None when the file is not shaped as `_encode` writes it."""
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        return None
    keyboards, queries = raw.get("keyboards"), raw.get("queries")
    if not isinstance(keyboards, list) or not isinstance(queries, dict):
        return None
    loaded: list[tuple[str, float, dict[str, Any]]] = []
    for entry in keyboards:
        if not (isinstance(entry, list) and len(entry) == 3):
            return None
        uuid, used, buttons = entry
        if not (isinstance(uuid, str) and isinstance(used, int | float) and isinstance(buttons, dict)):
            return None
        if not all(isinstance(key, str) for key in buttons):
            return None
        loaded.append((uuid, float(used), buttons))
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in queries.items()):
        return None
    return loaded, dict(queries)


def _encode(data: CDCData) -> str:
    keyboards, queries = data
    return json.dumps(
        {"format": FORMAT, "keyboards": [list(entry) for entry in keyboards], "queries": queries},
        ensure_ascii=False,
        separators=(",", ":"),
    )


class ButtonsFile(BasePersistence[Data, Data, Data]):
    """Persists the callback data alone, as JSON, atomically; every other kind of data is not stored."""

    def __init__(self, path: Path, update_interval: float = SAVE_EVERY_S) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=False, callback_data=True),
            update_interval=update_interval,
        )
        self.path = Path(path)
        self._saved: CDCData | None = None
        """What the file holds now: PTB hands the whole cache over every interval, changed or not."""

    # -- callback data ----------------------------------------------------------------------------

    async def get_callback_data(self) -> CDCData | None:
        """The saved cache, or None (start empty) when there is none or it cannot be used."""
        self._saved = await asyncio.to_thread(self._read)
        return self._saved

    async def update_callback_data(self, data: CDCData) -> None:
        """Save `data` unless the file already holds it; a failed write is logged, the bot goes on."""
        if data == self._saved:
            return
        try:
            await asyncio.to_thread(self._write, data)
        except OSError as exc:  # e.g. a full disk: the buttons sent since the last save expire on a restart
            log.warning("buttons: could not save %s: %s", self.path.name, exc)
            return
        self._saved = data

    def _read(self) -> CDCData | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("buttons: cannot read %s (%s); earlier buttons will answer 'expired'", self.path.name, exc)
            return None
        try:
            data = _decode(json.loads(raw.decode("utf-8")))
        except ValueError:  # not UTF-8 (UnicodeDecodeError) or not JSON (json.JSONDecodeError)
            data = None
        if data is None:
            log.warning("buttons: %s is not a buttons file of format %d; ignored", self.path.name, FORMAT)
        return data

    def _write(self, data: CDCData) -> None:
        """Hand-written rather than a library: a temp file in the same folder (mkstemp: owner-only),
        flushed to disk, then moved over the old one, so the file is always either the old or the new whole."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(_encode(data))
                out.flush()
                os.fsync(out.fileno())
            Path(temp).replace(self.path)  # os.replace: atomic within one file system
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    # -- what this persistence does not store (PersistenceInput above): nothing to load or save --------

    async def get_user_data(self) -> dict[int, Data]:
        return {}

    async def get_chat_data(self) -> dict[int, Data]:
        return {}

    async def get_bot_data(self) -> Data:
        return {}

    async def get_conversations(self, name: str) -> ConversationDict:
        return {}

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        """Not stored: the bot has no ConversationHandler."""

    async def update_user_data(self, user_id: int, data: Data) -> None:
        """Not stored."""

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        """Not stored."""

    async def update_bot_data(self, data: Data) -> None:
        """Not stored."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Not stored."""

    async def drop_user_data(self, user_id: int) -> None:
        """Not stored."""

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        """Not stored."""

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        """Not stored."""

    async def refresh_bot_data(self, bot_data: Data) -> None:
        """Not stored."""

    async def flush(self) -> None:
        """Every save is already on disk (update_callback_data writes through)."""
