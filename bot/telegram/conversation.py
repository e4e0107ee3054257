"""Which conversation a message belongs to, and whether a group message is addressed to the bot.

A forum topic is its own conversation (its own memory, replies stay in it); a reply chain in an
ordinary group is not, because Telegram's message_thread_id there is just the chain's first message.
"""

from __future__ import annotations

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType

Conversation = tuple[int, int | None]


def message_of(update: Update) -> Message:
    """The update's message; handlers are registered only for updates that carry one."""
    message = update.effective_message
    if message is None:
        raise RuntimeError("a message handler got an update without a message")
    return message


def command_argument(message: Message) -> str:
    """What follows the command, spacing and all (context.args would lose line breaks)."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def topic_id(message: Message) -> int | None:
    """The forum topic to remember and answer in, or None outside forum topics."""
    return message.message_thread_id if message.is_topic_message else None


def conversation_of(message: Message) -> Conversation:
    """The memory key: one conversation per chat, and per forum topic inside a forum."""
    return message.chat_id, topic_id(message)


def is_private(message: Message) -> bool:
    return message.chat.type == ChatType.PRIVATE


def _mentions_bot(message: Message, username: str, bot_id: int) -> list[tuple[MessageEntity, str]]:
    found = []
    for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        by_name = entity.type == MessageEntity.MENTION and value[1:].lower() == username.lower()
        by_id = entity.type == MessageEntity.TEXT_MENTION and entity.user is not None and entity.user.id == bot_id
        if by_name or by_id:
            found.append((entity, value))
    return found


def _is_reply_to_bot(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.id == bot_id


def addressed_text(message: Message, username: str, bot_id: int) -> str | None:
    """The question in a text message meant for the bot, or None if the bot should stay silent.

    Private chat: every text. Groups: only a message that mentions the bot (the mention is removed
    from the question) or replies to one of its messages.
    """
    text = message.text
    if text is None:
        return None
    if is_private(message):
        return text.strip()
    mentions = _mentions_bot(message, username, bot_id)
    if not mentions and not _is_reply_to_bot(message, bot_id):
        return None
    for value in {value for _, value in mentions if value.startswith("@")}:
        text = text.replace(value, " ")
    return " ".join(text.split())


def addressed(message: Message, username: str, bot_id: int) -> bool:
    """Whether the bot should react to this message at all (commands count, as Telegram delivers them)."""
    if is_private(message):
        return True
    if message.text is not None and message.text.startswith("/"):
        return True
    caption_mentions = any(
        value[1:].lower() == username.lower()
        for value in message.parse_caption_entities([MessageEntity.MENTION]).values()
    )
    return caption_mentions or bool(_mentions_bot(message, username, bot_id)) or _is_reply_to_bot(message, bot_id)
