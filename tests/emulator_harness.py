"""What the tests of the Bot API emulator share: their bot token, the small PTB application they run against
it (built with the production builder chain) and what its handlers saw, and a raw Bot API call over HTTP.
Their fixtures are in tests/emulator_fixtures.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from tests.emulator import BotApiEmulator

TOKEN = "123456:TEST-secret"
BOT_NAME = "hiring_advisor_bot"


@dataclass
class Record:
    """What the handlers of the test application saw."""

    downloads: list[bytes] = field(default_factory=list)
    edited: list[Any] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def build_app(emu: BotApiEmulator, record: Record) -> Application[Any, Any, Any, Any, Any, Any]:
    """The production builder chain, pointed at the emulator."""
    app = Application.builder().token(TOKEN).base_url(emu.base_url).base_file_url(emu.base_file_url).build()

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Welcome!")

    async def buttons(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton("Yes", callback_data="yes"), InlineKeyboardButton("No", callback_data="no")]]
        )
        await update.effective_message.reply_text("Pick one", reply_markup=keyboard)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text is not None
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(f"got {query.data}")
        record.edited.append(await query.edit_message_text(f"<b>chosen</b> {query.data}", parse_mode=ParseMode.HTML))

    async def inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.inline_query is not None
        text = update.inline_query.query or "empty"
        await update.inline_query.answer(
            [InlineQueryResultArticle(id="1", title="Echo", input_message_content=InputTextMessageContent(text))]
        )

    async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.document is not None
        data = bytes(await (await message.document.get_file()).download_as_bytearray())
        record.downloads.append(data)
        await message.reply_text(f"got {len(data)} bytes")

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        record.errors.append(context.error)

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("buttons", buttons))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(filters.Document.ALL, document))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(InlineQueryHandler(inline))
    app.add_error_handler(on_error)
    return app


async def call(http: aiohttp.ClientSession, emu: BotApiEmulator, method: str, **params: Any) -> tuple[int, Any]:
    async with http.post(f"{emu.base_url}{emu.token}/{method}", json=params) as resp:
        return resp.status, await resp.json()
