"""Telegram Bot API emulator for end-to-end tests of the real python-telegram-bot Application.

Usage (inside an async test)::

    emu = BotApiEmulator(token="123456:TEST-secret", bot_username="hiring_advisor_bot")
    await emu.start()
    app = Application.builder().token(emu.token).base_url(emu.base_url).base_file_url(emu.base_file_url).build()
    ...  # start the app (polling or webhook)
    alice = emu.user(first_name="Alice")
    chat = emu.private_chat(alice)
    emu.send_text(chat, alice, "/start")
    (reply,) = await emu.wait_for_messages(chat, 1)
    await emu.stop()

For load tests the emulator runs in its own process with simulated users (``peer.py``, driven by
``tests/load.py``), so that its work is not measured as the bot's.
"""

from .answers import ApiError
from .entities import EntityParseError, iter_entities, utf16_len
from .faults import FAULT_KINDS, FaultPlan
from .formatting import format_text
from .html_markup import parse_html
from .markdown_markup import parse_markdown_v2
from .params import UploadedFile
from .records import StoredFile, WebhookState
from .server import BotApiEmulator

__all__ = [
    "FAULT_KINDS",
    "ApiError",
    "BotApiEmulator",
    "EntityParseError",
    "FaultPlan",
    "StoredFile",
    "UploadedFile",
    "WebhookState",
    "format_text",
    "iter_entities",
    "parse_html",
    "parse_markdown_v2",
    "utf16_len",
]
