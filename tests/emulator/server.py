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
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

from .answers import ApiError, Described, bad_request
from .bot_profile_methods import BotProfileMethods
from .chat_methods import ChatMethods
from .entities import EntityParseError
from .faults import NGINX_502, retry_after_remaining
from .file_methods import FileMethods
from .inspection import Inspection
from .message_methods import MessageMethods
from .methods import BOT_API_METHODS, CANONICAL_METHOD
from .params import Params, read_params
from .query_methods import QueryMethods
from .records import JSONDict
from .store import Signal
from .update_delivery import UpdateDelivery
from .user_actions import UserActions

_LOG = logging.getLogger(__name__)


class BotApiEmulator(
    UserActions, Inspection, UpdateDelivery, MessageMethods, QueryMethods, FileMethods, ChatMethods, BotProfileMethods
):
    """An in-process Telegram Bot API server for one bot, plus the test-side controls.

    Faithfulness knobs: ``privacy_mode`` (default on, like a fresh bot: in groups the bot only
    receives commands, replies to it and mentions of it unless it is an administrator),
    ``strict_ampersand`` (off = Telegram's real leniency towards a bare ``&`` in HTML),
    ``callback_query_ttl`` / ``inline_query_ttl`` (seconds a query stays answerable); they are
    the constructor's, in ``store.EmulatorStore``. This class is the composition: the HTTP server,
    its routing to the method handlers (one module per kind of method) and its lifecycle.
    """

    def _method_handlers(self) -> dict[str, Callable[[Params], Awaitable[Any]]]:
        """Route each implemented Bot API method to its handler (the others answer 400 or 404)."""
        handlers: dict[str, Callable[[Params], Awaitable[Any]]] = {
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
        assert set(handlers) <= BOT_API_METHODS
        return handlers

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
        self._update_signal = Signal()
        self._bot_signal = Signal()
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
        params = await read_params(request)
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
        if isinstance(result, Described):
            return {"ok": True, "result": result.result, "description": result.description}, 200
        return {"ok": True, "result": result}, 200
