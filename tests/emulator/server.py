"""A Telegram Bot API emulator for end-to-end tests of a real python-telegram-bot Application.

The bot under test speaks plain HTTP to this aiohttp server exactly as it would to
api.telegram.org (only ``base_url``/``base_file_url`` differ), while the test drives users through
the synchronous injection helpers and inspects what the bot did. Everything runs on one event
loop, so no locks are needed: state changes happen between awaits only. The emulator is NOT
thread-safe: when it runs on another loop or thread (load tests run it in its own process, see
``peer.py``), call its client methods on that loop only.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import math
import re
import secrets
import socket
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from .auto_entities import find_auto_entities
from .entities import EntityParseError, iter_entities, normalize_url, sort_entities
from .faults import FaultPlan
from .formatting import MAX_CAPTION_LENGTH, FormattedText, format_text
from .methods import BOT_API_METHODS, CANONICAL_METHOD

_LOG = logging.getLogger(__name__)

JSONDict = dict[str, Any]
ChatRef = JSONDict | int
UserRef = JSONDict | int

#: Update types Telegram sends when allowed_updates is empty or was never given.
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)  # fmt: skip
_INLINE_RESULT_TYPES = frozenset(
    {
        "article", "audio", "contact", "game", "document", "gif", "location", "mpeg4_gif",
        "photo", "venue", "video", "voice", "sticker",
    }
)  # fmt: skip
_INLINE_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
_COMMAND_SCOPES = frozenset(
    {
        "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
        "chat_administrators", "chat_member",
    }
)  # fmt: skip
_MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "left", "kicked"})

# Parameters that arrive JSON-encoded in form fields and are objects/arrays in the API.
_JSON_PARAMS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "link_preview_options",
        "reply_parameters", "results", "commands", "scope", "allowed_updates", "button",
        "message_ids", "media", "permissions", "rights", "menu_button", "reaction",
    }
)  # fmt: skip
_INT_PARAMS = frozenset(
    {
        "message_id", "message_thread_id", "offset", "limit", "timeout", "user_id",
        "max_connections", "cache_time", "draft_id", "reply_to_message_id", "from_chat_id",
        "direct_messages_topic_id",
    }
)  # fmt: skip
_BOOL_PARAMS = frozenset(
    {
        "disable_notification", "protect_content", "show_alert", "is_personal",
        "drop_pending_updates", "allow_sending_without_reply", "disable_web_page_preview",
        "disable_content_type_detection", "allow_paid_broadcast", "has_spoiler",
    }
)  # fmt: skip

_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
_POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
#: What api.telegram.org's nginx front answers when the Bot API server behind it is unreachable:
#: an HTML page, not JSON (PTB logs "Can not load invalid JSON data" and raises NetworkError).
NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class ApiError(Exception):
    """A Bot API error answer: HTTP status = error_code, body ``{"ok": false, ...}``."""

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSONDict:
        """The JSON Telegram sends for this error."""
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    """400 with Telegram's "Bad Request: " prefix, the form PTB turns into BadRequest."""
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    """403 with Telegram's "Forbidden: " prefix, the form PTB turns into Forbidden."""
    return ApiError(403, f"Forbidden: {reason}")


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


@dataclass
class StoredFile:
    """A file Telegram keeps: downloadable via getFile + the file endpoint."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    def document(self) -> JSONDict:
        """The Document object for this file."""
        doc: JSONDict = {"file_name": self.file_name, "mime_type": self.mime_type}
        doc = {k: v for k, v in doc.items() if v is not None}
        doc.update(file_id=self.file_id, file_unique_id=self.file_unique_id, file_size=len(self.data))
        return doc


@dataclass
class ChatState:
    """Everything the server knows about one chat."""

    chat: JSONDict
    next_message_id: int = 1
    messages: dict[int, JSONDict] = field(default_factory=dict)
    bot_message_ids: list[int] = field(default_factory=list)
    deleted_ids: list[int] = field(default_factory=list)
    members: dict[int, str] = field(default_factory=dict)
    topics: set[int] = field(default_factory=set)
    blocked: bool = False

    @property
    def id(self) -> int:
        """The chat id."""
        return int(self.chat["id"])

    @property
    def type(self) -> str:
        """private, group, supergroup or channel."""
        return str(self.chat["type"])


@dataclass
class _Query:
    """A callback or inline query waiting for the bot's answer."""

    created: float
    answered: bool = False


@dataclass
class _Poll:
    """One getUpdates request in flight; ``terminated`` carries the 409 that ends it early."""

    terminated: str | None = None


@dataclass
class WebhookState:
    """setWebhook settings plus delivery statistics for getWebhookInfo."""

    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    ip_address: str | None
    last_error_date: int | None = None
    last_error_message: str | None = None


class _Signal:
    """A broadcast "state changed" notification for coroutines waiting on one event loop."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake every current waiter; later waiters wait for the next fire."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        """Wait for the next fire at most ``timeout`` seconds; True if it fired."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), max(timeout, 0.0))
        except TimeoutError:
            return False
        return True


class Params:
    """Request parameters after Telegram-like decoding (JSON fields parsed, numbers coerced)."""

    def __init__(self, data: JSONDict) -> None:
        self.data = data

    def get(self, name: str, default: Any = None) -> Any:
        """The decoded value, or ``default`` when absent."""
        value = self.data.get(name)
        return default if value is None else value

    def text(self, name: str) -> str | None:
        """A string parameter (numbers given as JSON are turned back into text)."""
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)

    def integer(self, name: str, *, required: bool = False, missing: str | None = None) -> int | None:
        """An integer parameter; a missing required one fails with Telegram's wording."""
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(missing or f"{name} is empty")
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            return int(value)
        raise bad_request(f"invalid {name} specified")

    def number(self, name: str, default: float) -> float:
        """A numeric parameter such as getUpdates' timeout."""
        value = self.data.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        """A boolean parameter (absent = False)."""
        value = self.data.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)


def _decode_param(name: str, value: Any) -> Any:
    """Decode one raw parameter the way the Bot API does for its declared type."""
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        if value.strip() == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            if name == "reply_markup":
                raise bad_request("can't parse reply keyboard markup JSON object") from None
            raise bad_request(f"can't parse {name} JSON object") from None
    if name in _INT_PARAMS and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    if name == "chat_id" and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    if name in _BOOL_PARAMS:
        return value.strip().lower() in ("true", "1")
    return value


def _now() -> int:
    """Unix time in seconds, the unit of every Bot API date."""
    return int(time.time())


def _drop_none(obj: JSONDict) -> JSONDict:
    """Telegram omits absent optional fields instead of sending null."""
    return {k: v for k, v in obj.items() if v is not None}


def _ref_id(ref: ChatRef | UserRef) -> int:
    """Accept either an object dict or a bare id in test helpers."""
    return int(ref["id"]) if isinstance(ref, dict) else int(ref)


def _update_type(update: JSONDict) -> str:
    """The payload key of an Update (message, callback_query, ...)."""
    return next(k for k in update if k != "update_id")


class BotApiEmulator:
    """An in-process Telegram Bot API server for one bot, plus the test-side controls.

    Faithfulness knobs: ``privacy_mode`` (default on, like a fresh bot: in groups the bot only
    receives commands, replies to it and mentions of it unless it is an administrator),
    ``strict_ampersand`` (off = Telegram's real leniency towards a bare ``&`` in HTML),
    ``callback_query_ttl`` / ``inline_query_ttl`` (seconds a query stays answerable).
    """

    def __init__(
        self,
        token: str = "123456:TEST-secret",
        bot_username: str = "hiring_advisor_bot",
        bot_first_name: str = "Hiring Advisor",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        privacy_mode: bool = True,
        strict_ampersand: bool = False,
        callback_query_ttl: float = 15.0,
        inline_query_ttl: float = 10.0,
        webhook_retry_delay: float = 0.2,
        webhook_timeout: float = 10.0,
        first_update_id: int = 100_000_001,
    ) -> None:
        bot_id, sep, _ = token.partition(":")
        if not sep or not bot_id.isdigit():
            raise ValueError("token must look like '<bot id>:<secret>'")
        self.token = token
        self.host = host
        self.privacy_mode = privacy_mode
        self.strict_ampersand = strict_ampersand
        self.callback_query_ttl = callback_query_ttl
        self.inline_query_ttl = inline_query_ttl
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        self.bot_user: JSONDict = {
            "id": int(bot_id),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self._requested_port = port
        self.port: int = 0
        #: every request with a valid token and a Bot API method name, in arrival order
        self.calls: list[tuple[str, JSONDict]] = []
        #: answerInlineQuery / answerCallbackQuery parameters the server accepted
        self.inline_answers: list[JSONDict] = []
        self.callback_answers: list[JSONDict] = []
        #: sendMessageDraft parameters the server accepted (text after parsing)
        self.drafts: list[JSONDict] = []
        #: every update ever created, and the ones each webhook POST carried (update, HTTP status)
        self.updates_log: list[JSONDict] = []
        self.webhook_deliveries: list[tuple[JSONDict, int | None]] = []
        #: unexpected exceptions inside the emulator (answered as 500); tests should keep it empty
        self.errors: list[BaseException] = []
        #: called with (chat id, message) whenever the bot creates or edits a message; the message is
        #: the live stored object (do not mutate it). Load drivers use this instead of polling sent().
        self.bot_message_listeners: list[Callable[[int, JSONDict], None]] = []
        self.faults: FaultPlan | None = None
        self.description: dict[str, str] = {}
        self.short_description: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self._all_commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._users: dict[int, JSONDict] = {}
        self._chats: dict[int, ChatState] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = itertools.count()
        self._user_ids = itertools.count(10_001)
        self._group_ids = itertools.count(1)
        self._update_ids = itertools.count(first_update_id)
        self._pending: list[JSONDict] = []
        self._allowed_updates: list[str] | None = None
        self._polls: list[_Poll] = []
        self._callback_queries: dict[str, _Query] = {}
        self._inline_queries: dict[str, _Query] = {}
        self._webhook: WebhookState | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._flood_until: dict[str, float] = {}
        self._update_signal: _Signal | None = None
        self._bot_signal: _Signal | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closing = False
        self._handlers: dict[str, Callable[[Params], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "logOut": self._ok_true,
            "close": self._ok_true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "sendChatAction": self._send_chat_action,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendDocument": self._send_document,
            "getFile": self._get_file,
            "sendMessageDraft": self._send_message_draft,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatMemberCount": self._get_chat_member_count,
            "setMyDescription": self._set_my_description,
            "getMyDescription": self._get_my_description,
            "setMyShortDescription": self._set_my_short_description,
            "getMyShortDescription": self._get_my_short_description,
            "setMyName": self._set_my_name,
            "getMyName": self._get_my_name,
        }
        assert set(self._handlers) <= BOT_API_METHODS

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """What to give ``ApplicationBuilder.base_url`` (PTB appends the token)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """What to give ``ApplicationBuilder.base_file_url`` (PTB appends the token)."""
        return f"http://{self.host}:{self.port}/file/bot"

    async def start(self) -> None:
        """Bind ``host`` (a free port unless one was given) and start serving."""
        if self._runner is not None:
            raise RuntimeError("emulator already started")
        self._closing = False
        self._update_signal = _Signal()
        self._bot_signal = _Signal()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        self.port = int(sock.getsockname()[1])
        await web.SockSite(runner, sock, shutdown_timeout=1.0).start()
        self._runner = runner
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.webhook_timeout))

    async def stop(self) -> None:
        """Finish pending long polls, stop webhook delivery and close the server."""
        self._closing = True
        if self._update_signal is not None:
            self._update_signal.fire()
        await self._stop_webhook_task()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ HTTP plumbing

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        """Route /bot<token>/<method> and /file/bot<token>/<path> like api.telegram.org."""
        tail = request.match_info["tail"]
        try:
            if tail.startswith("file/bot"):
                return await self._serve_file(request, tail[len("file/bot") :])
            if tail.startswith("bot"):
                token, _, method = tail[len("bot") :].partition("/")
                return await self._serve_method(request, token, method)
            raise ApiError(404, "Not Found")
        except ApiError as exc:
            return web.json_response(exc.body(), status=exc.code)

    async def _serve_file(self, request: web.Request, rest: str) -> web.StreamResponse:
        """File download endpoint: bytes for a known file_path, 404 otherwise."""
        token, _, path = rest.partition("/")
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        stored = self._files_by_path.get(path)
        if stored is None or request.method not in ("GET", "HEAD"):
            raise ApiError(404, "Not Found")
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    async def _serve_method(self, request: web.Request, token: str, method: str) -> web.StreamResponse:
        """Authenticate, decode parameters, inject faults, run the method."""
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        canonical = CANONICAL_METHOD.get(method.lower())
        if not method or "/" in method or canonical is None:
            raise ApiError(404, "Not Found")
        params = await self._read_params(request)
        self.calls.append((canonical, params.data))
        self._bot_fire()
        fault = self._decide_fault(canonical)
        if fault in ("drop", "drop_after"):
            if fault == "drop_after":
                await self._run_method(canonical, params)
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=200)
        if fault == "429-hold":
            return self._flood_response(retry_after_remaining(self._flood_until[canonical]))
        if fault == "429":
            assert self.faults is not None
            retry = self.faults.retry_after
            if self.faults.enforce_retry_after:
                self._flood_until[canonical] = time.monotonic() + retry
            return self._flood_response(retry)
        if fault == "500":  # the Bot API server itself failed: it still answers in its JSON shape
            return web.json_response(ApiError(500, "Internal Server Error").body(), status=500)
        if fault == "502":  # nginx in front of it could not reach it: an HTML page
            return web.Response(
                status=502, text=NGINX_502, content_type="text/html", headers={"Server": "nginx/1.18.0"}
            )
        result = await self._run_method(canonical, params)
        return web.json_response(result[0], status=result[1])

    def _flood_response(self, retry_after: int) -> web.Response:
        """Telegram's flood-control answer."""
        error = ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        return web.json_response(error.body(), status=429)

    def _decide_fault(self, method: str) -> str | None:
        """Consult the fault plan (and an active enforced flood wait) for this call."""
        until = self._flood_until.get(method)
        if until is not None:
            remaining = until - time.monotonic()
            if remaining > 0:
                if self.faults is not None:
                    self.faults.injected.append((method, "429"))
                return "429-hold"
            del self._flood_until[method]
        if self.faults is None:
            return None
        return self.faults.decide(method)

    async def _run_method(self, method: str, params: Params) -> tuple[JSONDict, int]:
        """Execute one method; returns (JSON body, HTTP status)."""
        handler = self._handlers.get(method)
        try:
            if handler is None:
                raise bad_request(f"method not supported by the emulator: {method}")
            result = await handler(params)
        except ApiError as exc:
            return exc.body(), exc.code
        except EntityParseError as exc:
            return bad_request(str(exc)).body(), 400
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an emulator bug: make it visible, never hang the bot
            _LOG.exception("emulator failure in %s", method)
            self.errors.append(exc)
            return ApiError(500, f"Internal Server Error: emulator bug: {exc!r}").body(), 500
        if isinstance(result, _Described):
            return {"ok": True, "result": result.result, "description": result.description}, 200
        return {"ok": True, "result": result}, 200

    async def _read_params(self, request: web.Request) -> Params:
        """Merge query string and body (JSON, urlencoded or multipart) into decoded params."""
        raw: JSONDict = dict(request.query)
        if request.method in ("POST", "PUT") and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad_request("can't parse JSON request body") from None
                if not isinstance(body, dict):
                    raise bad_request("request body must be a JSON object")
                raw.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        raw[key] = UploadedFile(value.filename, value.content_type, value.file.read())
                    else:
                        raw[key] = value
        decoded = {key: _decode_param(key, value) for key, value in raw.items()}
        return Params({k: v for k, v in decoded.items() if v is not None})

    # ------------------------------------------------------------------ helpers: signals

    def _bot_fire(self) -> None:
        if self._bot_signal is not None:
            self._bot_signal.fire()

    def _updates_fire(self) -> None:
        if self._update_signal is not None:
            self._update_signal.fire()

    # ------------------------------------------------------------------ test side: people

    def user(
        self,
        id: int | None = None,
        first_name: str = "Test",
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = "en",
        is_premium: bool | None = None,
    ) -> JSONDict:
        """Create (or update) a human user; returns the User object as Telegram sends it."""
        user_id = id if id is not None else next(self._user_ids)
        user = _drop_none(
            {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name,
                "last_name": last_name,
                "username": username,
                "language_code": language_code,
                "is_premium": is_premium,
            }
        )
        self._users[user_id] = user
        return copy.deepcopy(user)

    def private_chat(self, user: UserRef) -> JSONDict:
        """The private chat of ``user`` with the bot, as if the user had pressed Start."""
        info = self._user(user)
        chat = _drop_none(
            {
                "id": info["id"],
                "first_name": info["first_name"],
                "last_name": info.get("last_name"),
                "username": info.get("username"),
                "type": "private",
            }
        )
        state = self._chats.get(info["id"])
        if state is None:
            state = ChatState(chat=chat)
            self._chats[info["id"]] = state
        state.chat = chat
        state.members.update({info["id"]: "member", self.bot_user["id"]: "member"})
        return copy.deepcopy(chat)

    def group_chat(
        self,
        id: int | None = None,
        title: str = "Test group",
        is_forum: bool = False,
        *,
        username: str | None = None,
        chat_type: str | None = None,
        bot_status: str = "member",
    ) -> JSONDict:
        """A group with the bot in it: ids from -100... are supergroups, others basic groups."""
        chat_id = id if id is not None else -1_001_000_000_000 - next(self._group_ids)
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind = chat_type or ("supergroup" if str(chat_id).startswith("-100") else "group")
        if is_forum and kind != "supergroup":
            raise ValueError("only supergroups can be forums")
        chat = _drop_none(
            {
                "id": chat_id,
                "title": title,
                "username": username,
                "type": kind,
                "is_forum": True if is_forum else None,
            }
        )
        state = self._chats.get(chat_id)
        if state is None:
            state = ChatState(chat=chat)
            self._chats[chat_id] = state
        state.chat = chat
        self._set_status(state, self.bot_user["id"], bot_status)
        return copy.deepcopy(chat)

    def set_member_status(self, chat: ChatRef, user: UserRef, status: str) -> None:
        """Make ``user`` (or the bot, via ``emu.bot_user``) creator/administrator/member/left/kicked."""
        state = self._state(chat)
        uid = _ref_id(user)
        if uid != self.bot_user["id"]:
            self._user(uid)
        self._set_status(state, uid, status)

    def block_bot(self, user: UserRef, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sending to them gets 403 like in Telegram."""
        self._state(_ref_id(user)).blocked = blocked

    def create_topic(self, chat: ChatRef, user: UserRef, name: str) -> int:
        """A user opens a forum topic; returns its message_thread_id."""
        state = self._state(chat)
        if not state.chat.get("is_forum"):
            raise ValueError("chat is not a forum")
        creator = self._user(user)
        self._join(state, creator["id"])
        msg = self._new_message(
            state,
            creator,
            forum_topic_created={"name": name, "icon_color": 7322096},
        )
        thread_id = int(msg["message_id"])
        msg["message_thread_id"] = thread_id
        msg["is_topic_message"] = True
        state.topics.add(thread_id)
        return thread_id

    # ------------------------------------------------------------------ test side: activity

    def send_text(
        self,
        chat: ChatRef,
        user: UserRef,
        text: str,
        reply_to: JSONDict | int | None = None,
        thread_id: int | None = None,
    ) -> JSONDict:
        """A user writes ``text``; entities (commands, mentions, links) are detected like Telegram.

        Returns the Message; it becomes an update unless privacy mode hides it from the bot.
        """
        state = self._state(chat)
        sender = self._user(user)
        self._join(state, sender["id"])
        text = text.strip()
        if not text:
            raise ValueError("Telegram clients cannot send an empty message")
        entities = sort_entities(find_auto_entities(text))
        msg = self._new_message(
            state,
            sender,
            thread_id=thread_id,
            reply_to=self._resolve_reply(state, reply_to),
            text=text,
            entities=entities or None,
        )
        self._deliver_user_message(state, msg)
        return copy.deepcopy(msg)

    def forward(self, chat: ChatRef, user: UserRef, original: JSONDict, *, thread_id: int | None = None) -> JSONDict:
        """``user`` forwards into ``chat`` a message another user wrote (``original``: its text or
        document and entities, and its ``from``). As in Telegram, ``from`` is the forwarder and the
        author appears only in ``forward_origin``, so a forward never acts with its author's rights.
        """
        state = self._state(chat)
        sender = self._user(user)
        self._join(state, sender["id"])
        author = original.get("from")
        if not isinstance(author, dict):
            raise ValueError("the original message needs a 'from' user")
        content = {k: copy.deepcopy(original[k]) for k in ("text", "entities", "document", "caption") if k in original}
        if not content:
            raise ValueError("only text and document messages can be forwarded here")
        origin = {"type": "user", "date": int(original.get("date") or _now()), "sender_user": copy.deepcopy(author)}
        msg = self._new_message(state, sender, thread_id=thread_id, forward_origin=origin, **content)
        self._deliver_user_message(state, msg)
        return copy.deepcopy(msg)

    def send_document(
        self,
        chat: ChatRef,
        user: UserRef,
        filename: str = "document.pdf",
        content: bytes = b"",
        mime_type: str | None = "application/pdf",
        caption: str | None = None,
        *,
        reply_to: JSONDict | int | None = None,
        thread_id: int | None = None,
    ) -> JSONDict:
        """A user sends a file; the bot can getFile and download exactly ``content``."""
        state = self._state(chat)
        sender = self._user(user)
        self._join(state, sender["id"])
        if not content:
            raise ValueError("Telegram does not accept empty files")
        stored = self._store_file(content, filename, mime_type, folder="documents")
        fields: JSONDict = {"document": stored.document()}
        if caption:
            fields["caption"] = caption
            fields["caption_entities"] = sort_entities(find_auto_entities(caption)) or None
        msg = self._new_message(
            state,
            sender,
            thread_id=thread_id,
            reply_to=self._resolve_reply(state, reply_to),
            **fields,
        )
        self._deliver_user_message(state, msg)
        return copy.deepcopy(msg)

    def edit_text(self, chat: ChatRef, user: UserRef, message: JSONDict | int, text: str) -> JSONDict:
        """A user edits their own text message: an ``edited_message`` update."""
        state = self._state(chat)
        mid = int(message["message_id"]) if isinstance(message, dict) else int(message)
        msg = state.messages.get(mid)
        if msg is None or msg.get("from", {}).get("id") != _ref_id(user):
            raise ValueError("users can only edit their own existing messages")
        msg["text"] = text
        entities = sort_entities(find_auto_entities(text))
        if entities:
            msg["entities"] = entities
        else:
            msg.pop("entities", None)
        msg["edit_date"] = _now()
        if self._visible_to_bot(state, msg):
            self._enqueue({"edited_message": copy.deepcopy(msg)})
        return copy.deepcopy(msg)

    def press_button(
        self,
        chat: ChatRef,
        user: UserRef,
        message: JSONDict | int,
        callback_data: str,
        *,
        strict: bool = True,
    ) -> JSONDict:
        """A user taps an inline button; returns the CallbackQuery (answer it via its ``id``).

        With ``strict`` the message must currently carry a button with that callback_data, as
        only such a tap is possible in a real client.
        """
        state = self._state(chat)
        sender = self._user(user)
        mid = int(message["message_id"]) if isinstance(message, dict) else int(message)
        current = state.messages.get(mid)
        if current is None:
            raise ValueError(f"message {mid} does not exist in chat {state.id}")
        if strict:
            rows = current.get("reply_markup", {}).get("inline_keyboard", [])
            if not any(b.get("callback_data") == callback_data for row in rows for b in row):
                raise ValueError(f"message {mid} has no button with callback_data {callback_data!r}")
        query_id = str(secrets.randbelow(2**62) + 2**62)
        self._callback_queries[query_id] = _Query(time.monotonic())
        query = {
            "id": query_id,
            "from": copy.deepcopy(sender),
            "message": copy.deepcopy(current),
            "chat_instance": self._chat_instance(state.id),
            "data": callback_data,
        }
        self._enqueue({"callback_query": query})
        return copy.deepcopy(query)

    def inline_query(self, user: UserRef, query: str, offset: str = "", chat_type: str = "sender") -> JSONDict:
        """A user types ``@bot query`` somewhere; returns the InlineQuery."""
        sender = self._user(user)
        query_id = str(secrets.randbelow(2**62) + 2**62)
        self._inline_queries[query_id] = _Query(time.monotonic())
        inline = {
            "id": query_id,
            "from": copy.deepcopy(sender),
            "query": query,
            "offset": offset,
            "chat_type": chat_type,
        }
        self._enqueue({"inline_query": inline})
        return copy.deepcopy(inline)

    # ------------------------------------------------------------------ test side: reading

    def sent(self, chat_id: ChatRef, *, include_deleted: bool = False) -> list[JSONDict]:
        """Messages the bot sent to the chat, in order, each in its latest (edited) state."""
        state = self._chats.get(_ref_id(chat_id))
        if state is None:
            return []
        ids = state.bot_message_ids
        if not include_deleted:
            ids = [i for i in ids if i in state.messages]
        return [copy.deepcopy(state.messages[i]) for i in ids if i in state.messages]

    def delivered_texts(self, chat_id: ChatRef) -> list[str]:
        """Texts (or captions) of the bot's live messages in the chat, for exactly-once checks."""
        texts: list[str] = []
        for msg in self.sent(chat_id):
            value = msg.get("text", msg.get("caption"))
            if isinstance(value, str):
                texts.append(value)
        return texts

    def deleted(self, chat_id: ChatRef) -> list[int]:
        """Ids of messages deleted through the API in this chat."""
        state = self._chats.get(_ref_id(chat_id))
        return list(state.deleted_ids) if state else []

    def calls_of(self, method: str) -> list[JSONDict]:
        """Params of every call of ``method`` (case-insensitive), in order."""
        wanted = method.lower()
        return [params for name, params in self.calls if name.lower() == wanted]

    @property
    def commands(self) -> list[JSONDict]:
        """setMyCommands state for the default scope and no language."""
        return copy.deepcopy(self._all_commands.get(("default", ""), []))

    @property
    def all_commands(self) -> dict[tuple[str, str], list[JSONDict]]:
        """setMyCommands state per (scope key, language_code)."""
        return copy.deepcopy(self._all_commands)

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates created but not yet confirmed by getUpdates / accepted by the webhook."""
        return copy.deepcopy(self._pending)

    @property
    def webhook(self) -> WebhookState | None:
        """The current webhook, if one is set."""
        return self._webhook

    async def wait_for_messages(self, chat_id: ChatRef, n: int, timeout: float = 10.0) -> list[JSONDict]:
        """Wait until the bot has at least ``n`` live messages in the chat; returns them all."""
        await self._wait_until(lambda: len(self.sent(chat_id)) >= n, timeout,
                               lambda: f"{n} bot messages in chat {_ref_id(chat_id)}, got "
                               f"{self.delivered_texts(chat_id)!r}")  # fmt: skip
        return self.sent(chat_id)

    async def wait_for_calls(self, method: str, n: int = 1, timeout: float = 10.0) -> list[JSONDict]:
        """Wait until ``method`` was called at least ``n`` times; returns all its params."""
        await self._wait_until(lambda: len(self.calls_of(method)) >= n, timeout,
                               lambda: f"{n} calls of {method}, got {len(self.calls_of(method))}")  # fmt: skip
        return self.calls_of(method)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` holds; it is re-checked after every bot request."""
        await self._wait_until(predicate, timeout, lambda: "predicate")

    async def _wait_until(self, predicate: Callable[[], bool], timeout: float, describe: Callable[[], str]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {describe()}")
            # the signal wakes us on every bot request; the short cap covers predicates that
            # depend on state outside the emulator (e.g. what a handler recorded after a reply)
            if self._bot_signal is None:
                await asyncio.sleep(min(remaining, 0.02))
            else:
                await self._bot_signal.wait(min(remaining, 0.02))

    # ------------------------------------------------------------------ internals: state

    def _user(self, ref: UserRef) -> JSONDict:
        uid = _ref_id(ref)
        if uid == self.bot_user["id"]:
            return self.bot_user
        user = self._users.get(uid)
        if user is None:
            if isinstance(ref, dict):
                return self._users.setdefault(uid, copy.deepcopy(ref))
            raise ValueError(f"unknown user {uid}; create it with emu.user()")
        return user

    def _state(self, ref: ChatRef) -> ChatState:
        state = self._chats.get(_ref_id(ref))
        if state is None:
            raise ValueError(f"unknown chat {_ref_id(ref)}; create it with private_chat/group_chat")
        return state

    def _set_status(self, state: ChatState, user_id: int, status: str) -> None:
        if status not in _MEMBER_STATUSES:
            raise ValueError(f"status must be one of {sorted(_MEMBER_STATUSES)}")
        state.members[user_id] = status

    def _join(self, state: ChatState, user_id: int) -> None:
        if state.members.get(user_id) in (None, "left"):
            state.members[user_id] = "member"

    def _chat_instance(self, chat_id: int) -> str:
        """Stable per-chat value, like Telegram's chat_instance."""
        return str(zlib.crc32(f"{self.bot_user['id']}:{chat_id}".encode()) * 2_654_435_761)

    def _new_message(
        self,
        state: ChatState,
        sender: JSONDict,
        *,
        thread_id: int | None = None,
        reply_to: JSONDict | None = None,
        **content: Any,
    ) -> JSONDict:
        """Create and store a message with the next per-chat id."""
        mid = state.next_message_id
        state.next_message_id += 1
        if thread_id is None and reply_to is not None and state.chat.get("is_forum"):
            thread_id = reply_to.get("message_thread_id")
        msg: JSONDict = {"message_id": mid, "from": copy.deepcopy(sender)}
        if thread_id is not None:
            msg["message_thread_id"] = thread_id
        msg["chat"] = copy.deepcopy(state.chat)
        msg["date"] = _now()
        if reply_to is not None:
            msg["reply_to_message"] = {k: v for k, v in copy.deepcopy(reply_to).items()
                                       if k != "reply_to_message"}  # fmt: skip
        if thread_id is not None and state.chat.get("is_forum"):
            msg["is_topic_message"] = True
            state.topics.add(thread_id)
        msg.update({k: v for k, v in content.items() if v is not None})
        state.messages[mid] = msg
        if sender.get("id") == self.bot_user["id"] and sender.get("is_bot"):
            state.bot_message_ids.append(mid)
            self._bot_fire()
            self._bot_message_changed(state, msg)
        return msg

    def _bot_message_changed(self, state: ChatState, msg: JSONDict) -> None:
        for listener in self.bot_message_listeners:
            listener(state.id, msg)

    def _resolve_reply(self, state: ChatState, reply_to: JSONDict | int | None) -> JSONDict | None:
        if reply_to is None:
            return None
        mid = int(reply_to["message_id"]) if isinstance(reply_to, dict) else int(reply_to)
        target = state.messages.get(mid)
        if target is None:
            raise ValueError(f"message {mid} does not exist in chat {state.id}")
        return target

    def _bot_is_admin(self, state: ChatState) -> bool:
        return state.members.get(self.bot_user["id"]) in ("administrator", "creator")

    def _visible_to_bot(self, state: ChatState, msg: JSONDict) -> bool:
        """Privacy mode: what a bot in a group gets (Telegram's rules for a default bot)."""
        if state.type == "private":
            return not state.blocked
        if state.members.get(self.bot_user["id"]) in ("left", "kicked", None):
            return False
        if not self.privacy_mode or self._bot_is_admin(state):
            return True
        reply = msg.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot_user["id"]:
            return True
        username = str(self.bot_user["username"]).lower()
        for kind, value in iter_entities(msg):
            if kind == "bot_command":
                _, _, target = value.partition("@")
                if not target or target.lower() == username:
                    return True
            if kind == "mention" and value[1:].lower() == username:
                return True
        return False

    def _deliver_user_message(self, state: ChatState, msg: JSONDict) -> None:
        if self._visible_to_bot(state, msg):
            self._enqueue({"message": copy.deepcopy(msg)})

    def _enqueue(self, payload: JSONDict) -> JSONDict:
        """Create an update; it is kept only if the bot's allowed_updates admits its type."""
        update: JSONDict = {"update_id": next(self._update_ids)}
        update.update(payload)
        self.updates_log.append(copy.deepcopy(update))
        allowed = self._webhook.allowed_updates if self._webhook else self._allowed_updates
        kind = _update_type(update)
        if allowed:
            if kind not in allowed:
                return update
        elif kind in _DEFAULT_EXCLUDED_UPDATES:
            return update
        self._pending.append(update)
        self._updates_fire()
        return update

    def _store_file(self, data: bytes, filename: str | None, mime_type: str | None, folder: str) -> StoredFile:
        number = next(self._file_counter)
        ext = ""
        if filename and "." in filename:
            ext = "." + filename.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:04d}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AgAD{secrets.token_urlsafe(9)}",
            data=data,
            file_path=f"{folder}/file_{number}{ext}",
            file_name=filename,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    # ------------------------------------------------------------------ internals: validation

    def _target_chat(self, params: Params, *, sending: bool = True) -> ChatState:
        """Resolve chat_id like Telegram: 400 chat not found, 403 blocked / not a member."""
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        state: ChatState | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            state = self._chats.get(raw)
            if state is None and raw in self._users and sending:
                raise forbidden("bot can't initiate conversation with a user")
        elif isinstance(raw, str) and raw.startswith("@"):
            wanted = raw[1:].lower()
            state = next(
                (s for s in self._chats.values()
                 if s.type != "private" and str(s.chat.get("username", "")).lower() == wanted),
                None,
            )  # fmt: skip
        if state is None:
            raise bad_request("chat not found")
        if sending:
            if state.type == "private" and state.blocked:
                raise forbidden("bot was blocked by the user")
            status = state.members.get(self.bot_user["id"])
            kind = "supergroup chat" if state.type == "supergroup" else "group chat"
            if state.type != "private" and status == "kicked":
                raise forbidden(f"bot was kicked from the {kind}")
            if state.type != "private" and status in (None, "left"):
                raise forbidden(f"bot is not a member of the {kind}")
        return state

    def _thread(self, state: ChatState, params: Params) -> int | None:
        thread_id = params.integer("message_thread_id")
        if thread_id is None or thread_id == 0:
            return None
        if state.chat.get("is_forum"):
            if thread_id not in state.topics and thread_id != 1:
                raise bad_request("message thread not found")
            return thread_id
        if thread_id not in state.messages:
            raise bad_request("message thread not found")
        return thread_id

    def _reply_target(self, state: ChatState, params: Params) -> JSONDict | None:
        reply = params.get("reply_parameters")
        allow_missing = params.flag("allow_sending_without_reply")
        mid: int | None = params.integer("reply_to_message_id")
        if isinstance(reply, dict):
            if not isinstance(reply.get("message_id"), int):
                raise bad_request("can't parse reply parameters JSON object")
            mid = reply["message_id"]
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
            other = reply.get("chat_id")
            same_chat = other in (None, state.id, str(state.id)) or (
                isinstance(other, str) and other.lstrip("@").lower() == str(state.chat.get("username", "")).lower()
            )
            if not same_chat:
                raise bad_request("replies to other chats are not supported by the emulator")
        if mid is None:
            return None
        target = state.messages.get(mid)
        if target is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return target

    def _markup(self, params: Params) -> JSONDict | None:
        """Validate reply_markup; return the inline keyboard to store on the message, if any."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request("can't parse inline keyboard markup JSON object")
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
            return {"inline_keyboard": copy.deepcopy(rows)}
        if "keyboard" in markup or "remove_keyboard" in markup or "force_reply" in markup:
            return None  # reply keyboards act on the client and are not echoed in the Message
        raise bad_request("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
        if not button["text"].strip():
            raise bad_request("text buttons are unallowed in the inline keyboard")
        actions = [key for key in _INLINE_BUTTON_ACTIONS if key in button]
        if not actions:
            raise bad_request("text buttons are unallowed in the inline keyboard")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
        url = button.get("url")
        if "url" in button and (not isinstance(url, str) or normalize_url(url) is None):
            raise bad_request("BUTTON_URL_INVALID")

    def _format(self, params: Params, text_key: str, entities_key: str, *, caption: bool = False,
                allow_empty: bool = False) -> FormattedText:  # fmt: skip
        text = params.text(text_key) or ""
        if caption:
            return format_text(
                text, params.text("parse_mode"), params.get(entities_key),
                strict_ampersand=self.strict_ampersand, max_length=MAX_CAPTION_LENGTH,
                too_long="message caption is too long", allow_empty=True,
            )  # fmt: skip
        return format_text(
            text, params.text("parse_mode"), params.get(entities_key),
            strict_ampersand=self.strict_ampersand, allow_empty=allow_empty,
        )  # fmt: skip

    def _bot_message_for_edit(self, params: Params) -> tuple[ChatState, JSONDict]:
        if params.get("inline_message_id") is not None:
            raise bad_request("inline messages are not supported by the emulator: MESSAGE_ID_INVALID")
        state = self._target_chat(params, sending=False)
        mid = params.integer("message_id", required=True, missing="message identifier is not specified")
        msg = state.messages.get(mid) if mid is not None else None
        if msg is None:
            raise bad_request("message to edit not found")
        if msg.get("from", {}).get("id") != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return state, msg

    # ------------------------------------------------------------------ methods: basics

    async def _ok_true(self, params: Params) -> bool:
        return True

    async def _get_me(self, params: Params) -> JSONDict:
        me = copy.deepcopy(self.bot_user)
        me.update(
            can_join_groups=True,
            can_read_all_group_messages=not self.privacy_mode,
            supports_inline_queries=True,
            can_connect_to_business=False,
            has_main_web_app=False,
            has_topics_enabled=False,
            allows_users_to_create_topics=False,
        )
        return me

    # ------------------------------------------------------------------ methods: updates

    async def _get_updates(self, params: Params) -> list[JSONDict]:
        """Real long polling: offset confirms, limit caps, timeout waits for the first update."""
        if self._webhook is not None:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        offset = params.integer("offset")
        limit = params.integer("limit") or 100
        limit = min(max(limit, 1), 100)
        timeout = max(params.number("timeout", 0.0), 0.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(x) for x in allowed]
        if offset is not None:
            if offset < 0:
                keep = -offset
                self._pending = self._pending[-keep:] if keep else []
            else:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
        for poll in self._polls:
            poll.terminated = _POLL_CONFLICT
        self._updates_fire()
        poll = _Poll()
        self._polls.append(poll)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                if poll.terminated is not None:
                    raise ApiError(409, poll.terminated)
                if self._pending or self._closing:
                    return copy.deepcopy(self._pending[:limit])
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                assert self._update_signal is not None
                await self._update_signal.wait(remaining)
        finally:
            self._polls.remove(poll)

    async def _set_webhook(self, params: Params) -> _Described:
        url = params.text("url") or ""
        if not url:
            return await self._delete_webhook(params)
        parsed = normalize_url(url)
        if parsed is None or not url.lower().startswith(("http://", "https://")):
            raise bad_request("bad webhook: invalid URL")
        secret = params.text("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.integer("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = params.get("allowed_updates")
        if params.flag("drop_pending_updates"):
            self._pending.clear()
        await self._stop_webhook_task()
        self._webhook = WebhookState(
            url=url,
            secret_token=secret,
            max_connections=max_connections,
            allowed_updates=[str(x) for x in allowed] if isinstance(allowed, list) else None,
            ip_address=params.text("ip_address"),
        )
        for poll in self._polls:
            poll.terminated = "Conflict: terminated by setWebhook request"
        self._updates_fire()
        self._webhook_task = asyncio.create_task(self._webhook_loop(self._webhook))
        return _Described(True, "Webhook was set")

    async def _delete_webhook(self, params: Params) -> _Described:
        if params.flag("drop_pending_updates"):
            self._pending.clear()
        was_set = self._webhook is not None
        await self._stop_webhook_task()
        self._webhook = None
        return _Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    async def _get_webhook_info(self, params: Params) -> JSONDict:
        hook = self._webhook
        info: JSONDict = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if hook is not None:
            info.update(
                _drop_none(
                    {
                        "ip_address": hook.ip_address,
                        "last_error_date": hook.last_error_date,
                        "last_error_message": hook.last_error_message,
                        "max_connections": hook.max_connections,
                        "allowed_updates": hook.allowed_updates,
                    }
                )
            )
        return info

    async def _stop_webhook_task(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _webhook_loop(self, hook: WebhookState) -> None:
        """Deliver pending updates one by one, in order, retrying until the receiver says 2xx."""
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        while self._webhook is hook and not self._closing:
            if not self._pending:
                assert self._update_signal is not None
                await self._update_signal.wait(1.0)
                continue
            update = self._pending[0]
            status: int | None = None
            error: str | None = None
            try:
                assert self._session is not None
                async with self._session.post(hook.url, data=json.dumps(update), headers=headers) as resp:
                    status = resp.status
                    await resp.read()
                    if not 200 <= status < 300:
                        error = f"Wrong response from the webhook: {status} {resp.reason}"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection refused, timeout...
                error = f"Connection failed: {exc.__class__.__name__}"
            self.webhook_deliveries.append((copy.deepcopy(update), status))
            if error is None:
                if self._pending and self._pending[0] is update:
                    self._pending.pop(0)
                self._bot_fire()
                continue
            hook.last_error_date = _now()
            hook.last_error_message = error
            self._bot_fire()
            await asyncio.sleep(self.webhook_retry_delay)

    # ------------------------------------------------------------------ methods: messages

    async def _send_message(self, params: Params) -> JSONDict:
        state = self._target_chat(params)
        if params.text("text") in (None, ""):
            raise bad_request("message text is empty")
        formatted = self._format(params, "text", "entities")
        thread_id = self._thread(state, params)
        reply = self._reply_target(state, params)
        markup = self._markup(params)
        preview = params.get("link_preview_options")
        msg = self._new_message(
            state,
            self.bot_user,
            thread_id=thread_id,
            reply_to=reply,
            text=formatted.text,
            entities=formatted.entities or None,
            link_preview_options=preview if isinstance(preview, dict) and preview else None,
            reply_markup=markup,
        )
        return copy.deepcopy(msg)

    async def _edit_message_text(self, params: Params) -> JSONDict:
        state, msg = self._bot_message_for_edit(params)
        if "text" not in msg:
            raise bad_request("there is no text in the message to edit")
        if params.text("text") in (None, ""):
            raise bad_request("message text is empty")
        formatted = self._format(params, "text", "entities")
        markup = self._markup(params)
        if (
            formatted.text == msg.get("text")
            and formatted.entities == msg.get("entities", [])
            and markup == msg.get("reply_markup")
        ):
            raise bad_request(_NOT_MODIFIED)
        msg["text"] = formatted.text
        self._set_optional(msg, "entities", formatted.entities or None)
        self._set_optional(msg, "reply_markup", markup)
        preview = params.get("link_preview_options")
        if isinstance(preview, dict) and preview:
            msg["link_preview_options"] = preview
        msg["edit_date"] = _now()
        self._bot_fire()
        self._bot_message_changed(state, msg)
        return copy.deepcopy(msg)

    async def _edit_message_reply_markup(self, params: Params) -> JSONDict:
        state, msg = self._bot_message_for_edit(params)
        markup = self._markup(params)
        if markup == msg.get("reply_markup"):
            raise bad_request(_NOT_MODIFIED)
        self._set_optional(msg, "reply_markup", markup)
        msg["edit_date"] = _now()
        self._bot_fire()
        self._bot_message_changed(state, msg)
        return copy.deepcopy(msg)

    @staticmethod
    def _set_optional(msg: JSONDict, key: str, value: Any) -> None:
        if value is None:
            msg.pop(key, None)
        else:
            msg[key] = value

    def _delete_one(self, state: ChatState, mid: int) -> bool:
        msg = state.messages.get(mid)
        if msg is None:
            return False
        own = msg.get("from", {}).get("id") == self.bot_user["id"]
        if not own and state.type != "private" and not self._bot_is_admin(state):
            raise bad_request("message can't be deleted")
        del state.messages[mid]
        state.deleted_ids.append(mid)
        self._bot_fire()
        return True

    async def _delete_message(self, params: Params) -> bool:
        state = self._target_chat(params, sending=False)
        mid = params.integer("message_id", required=True, missing="message identifier is not specified")
        assert mid is not None
        if not self._delete_one(state, mid):
            raise bad_request("message to delete not found")
        return True

    async def _delete_messages(self, params: Params) -> bool:
        state = self._target_chat(params, sending=False)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must contain 1-100 message identifiers")
        for mid in ids:
            if isinstance(mid, int):
                with contextlib.suppress(ApiError):
                    self._delete_one(state, mid)
        return True

    async def _send_chat_action(self, params: Params) -> bool:
        state = self._target_chat(params)
        action = params.text("action")
        if action is None:
            raise bad_request("action is empty")
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._thread(state, params)
        return True

    async def _send_message_draft(self, params: Params) -> bool:
        state = self._target_chat(params)
        if state.type != "private":
            raise bad_request("drafts can be sent only to private chats")
        draft_id = params.integer("draft_id", required=True)
        if draft_id == 0:
            raise bad_request("draft_id must be non-zero")
        formatted = self._format(params, "text", "entities", allow_empty=True)
        self.drafts.append(
            _drop_none(
                {
                    "chat_id": state.id,
                    "draft_id": draft_id,
                    "text": formatted.text,
                    "entities": formatted.entities or None,
                    "message_thread_id": params.integer("message_thread_id"),
                    "date": _now(),
                }
            )
        )
        self._bot_fire()
        return True

    # ------------------------------------------------------------------ methods: queries

    def _take_query(self, store: dict[str, _Query], query_id: str | None, ttl: float) -> None:
        query = store.get(query_id or "")
        if query is None or query.answered or time.monotonic() - query.created > ttl:
            raise bad_request(_QUERY_TOO_OLD)
        query.answered = True

    async def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.text("callback_query_id")
        text = params.text("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        url = params.text("url")
        if url is not None and normalize_url(url) is None:
            raise bad_request("URL_INVALID")
        self._take_query(self._callback_queries, query_id, self.callback_query_ttl)
        self.callback_answers.append(
            _drop_none(
                {
                    "callback_query_id": query_id,
                    "text": text,
                    "show_alert": params.flag("show_alert") or None,
                    "url": url,
                    "cache_time": params.integer("cache_time"),
                }
            )
        )
        self._bot_fire()
        return True

    async def _answer_inline_query(self, params: Params) -> bool:
        query_id = params.text("inline_query_id")
        results = params.get("results")
        if not isinstance(results, list):
            raise bad_request("can't parse inline query results JSON object")
        if len(results) > 50:
            raise bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            self._check_inline_result(result, seen)
        self._take_query(self._inline_queries, query_id, self.inline_query_ttl)
        self.inline_answers.append(
            _drop_none(
                {
                    "inline_query_id": query_id,
                    "results": copy.deepcopy(results),
                    "cache_time": params.integer("cache_time"),
                    "is_personal": params.flag("is_personal") or None,
                    "next_offset": params.text("next_offset"),
                    "button": params.get("button"),
                }
            )
        )
        self._bot_fire()
        return True

    def _check_inline_result(self, result: Any, seen: set[str]) -> None:
        if not isinstance(result, dict):
            raise bad_request("can't parse inline query result JSON object")
        kind, rid = result.get("type"), result.get("id")
        if not isinstance(kind, str) or kind not in _INLINE_RESULT_TYPES:
            raise bad_request("RESULT_TYPE_INVALID")
        if not isinstance(rid, str) or not rid:
            raise bad_request("RESULT_ID_EMPTY")
        if len(rid.encode("utf-8")) > 64:
            raise bad_request("RESULT_ID_INVALID")
        if rid in seen:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(rid)
        content = result.get("input_message_content")
        if kind == "article":
            if not isinstance(result.get("title"), str) or not result["title"]:
                raise bad_request("can't parse InlineQueryResultArticle: title is empty")
            if not isinstance(content, dict):
                raise bad_request("can't parse InlineQueryResultArticle: input_message_content is required")
        if isinstance(content, dict) and "message_text" in content:
            format_text(
                str(content["message_text"]), content.get("parse_mode"), content.get("entities"),
                strict_ampersand=self.strict_ampersand, too_long="MESSAGE_TOO_LONG",
            )  # fmt: skip
        markup = result.get("reply_markup")
        if markup is not None:
            rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
            if not isinstance(rows, list):
                raise bad_request("can't parse inline keyboard markup JSON object")
            for row in rows:
                for button in row if isinstance(row, list) else [None]:
                    self._check_inline_button(button)

    # ------------------------------------------------------------------ methods: commands

    def _scope_key(self, params: Params) -> tuple[str, str]:
        scope = params.get("scope")
        language = params.text("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        if scope is None:
            return "default", language
        if not isinstance(scope, dict) or scope.get("type") not in _COMMAND_SCOPES:
            raise bad_request("can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("chat", "chat_administrators", "chat_member"):
            state = self._target_chat(Params({"chat_id": scope.get("chat_id")}), sending=False)
            key = f"{kind}:{state.id}"
            if kind == "chat_member":
                user_id = scope.get("user_id")
                if not isinstance(user_id, int) or user_id not in state.members:
                    raise bad_request("user not found")
                key += f":{user_id}"
            return key, language
        return kind, language

    async def _set_my_commands(self, params: Params) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        clean: list[JSONDict] = []
        for item in commands:
            if not isinstance(item, dict):
                raise bad_request("can't parse BotCommand JSON object")
            command, description = item.get("command"), item.get("description")
            if not isinstance(command, str) or not re.fullmatch(r"/?[a-z0-9_]{1,32}", command):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": command.lstrip("/"), "description": description.strip()})
        key = self._scope_key(params)
        if clean:
            self._all_commands[key] = clean
        else:
            self._all_commands.pop(key, None)
        self._bot_fire()
        return True

    async def _get_my_commands(self, params: Params) -> list[JSONDict]:
        return copy.deepcopy(self._all_commands.get(self._scope_key(params), []))

    async def _delete_my_commands(self, params: Params) -> bool:
        self._all_commands.pop(self._scope_key(params), None)
        self._bot_fire()
        return True

    # ------------------------------------------------------------------ methods: files

    async def _send_document(self, params: Params) -> JSONDict:
        state = self._target_chat(params)
        document = params.get("document")
        if isinstance(document, str) and document.startswith("attach://"):
            document = params.get(document[len("attach://") :])
        if document is None or document == "":
            raise bad_request("there is no document in the request")
        if isinstance(document, UploadedFile):
            if not document.data:
                raise bad_request("file must be non-empty")
            if len(document.data) > 50 * 1024 * 1024:
                raise ApiError(413, "Request Entity Too Large")
            mime = document.content_type
            if not mime or mime == "application/octet-stream":
                mime = None
            stored = self._store_file(document.data, document.filename, mime, folder="documents")
        else:
            found = self._files.get(str(document))
            if found is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            stored = found
        caption = self._format(params, "caption", "caption_entities", caption=True)
        thread_id = self._thread(state, params)
        reply = self._reply_target(state, params)
        markup = self._markup(params)
        msg = self._new_message(
            state,
            self.bot_user,
            thread_id=thread_id,
            reply_to=reply,
            document=stored.document(),
            caption=caption.text or None,
            caption_entities=caption.entities or None,
            reply_markup=markup,
        )
        return copy.deepcopy(msg)

    async def _get_file(self, params: Params) -> JSONDict:
        file_id = params.text("file_id")
        if not file_id:
            raise bad_request("file_id is empty")
        stored = self._files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > 20 * 1024 * 1024:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    # ------------------------------------------------------------------ methods: chats

    async def _get_chat(self, params: Params) -> JSONDict:
        state = self._target_chat(params, sending=False)
        info = copy.deepcopy(state.chat)
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return info

    def _member_object(self, status: str, user: JSONDict) -> JSONDict:
        member: JSONDict = {"user": copy.deepcopy(user), "status": status}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                can_be_edited=False, is_anonymous=False, can_manage_chat=True,
                can_delete_messages=True, can_manage_video_chats=True,
                can_restrict_members=True, can_promote_members=False, can_change_info=True,
                can_invite_users=True, can_post_stories=False, can_edit_stories=False,
                can_delete_stories=False, can_pin_messages=True,
            )  # fmt: skip
        elif status == "kicked":
            member["until_date"] = 0
        return member

    async def _get_chat_member(self, params: Params) -> JSONDict:
        state = self._target_chat(params, sending=False)
        user_id = params.integer("user_id", required=True)
        assert user_id is not None
        if user_id == self.bot_user["id"]:
            user = self.bot_user
        elif user_id in self._users:
            user = self._users[user_id]
        else:
            raise bad_request("user not found")
        return self._member_object(state.members.get(user_id, "left"), user)

    async def _get_chat_member_count(self, params: Params) -> int:
        state = self._target_chat(params, sending=False)
        return sum(1 for s in state.members.values() if s in ("creator", "administrator", "member"))

    # ------------------------------------------------------------------ methods: bot profile

    def _set_profile_text(self, params: Params, store: dict[str, str], key: str, limit: int) -> bool:
        value = params.text(key) or ""
        if len(value) > limit:
            raise bad_request(f"{key} is too long")
        language = params.text("language_code") or ""
        if value:
            store[language] = value
        else:
            store.pop(language, None)
        return True

    async def _set_my_description(self, params: Params) -> bool:
        return self._set_profile_text(params, self.description, "description", 512)

    async def _get_my_description(self, params: Params) -> JSONDict:
        return {"description": self.description.get(params.text("language_code") or "", "")}

    async def _set_my_short_description(self, params: Params) -> bool:
        return self._set_profile_text(params, self.short_description, "short_description", 120)

    async def _get_my_short_description(self, params: Params) -> JSONDict:
        lang = params.text("language_code") or ""
        return {"short_description": self.short_description.get(lang, "")}

    async def _set_my_name(self, params: Params) -> bool:
        return self._set_profile_text(params, self.names, "name", 64)

    async def _get_my_name(self, params: Params) -> JSONDict:
        lang = params.text("language_code") or ""
        return {"name": self.names.get(lang, str(self.bot_user["first_name"]))}


@dataclass
class _Described:
    """A result Telegram sends with a human-readable "description" next to it."""

    result: Any
    description: str


def retry_after_remaining(until: float) -> int:
    """Whole seconds left of a flood wait, as Telegram rounds them (up)."""
    return max(1, math.ceil(until - time.monotonic()))


__all__ = [
    "ApiError",
    "BotApiEmulator",
    "ChatState",
    "StoredFile",
    "UploadedFile",
    "WebhookState",
    "iter_entities",
]
