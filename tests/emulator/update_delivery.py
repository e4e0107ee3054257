"""How updates reach the bot: long polling with getUpdates, or a webhook the emulator POSTs to."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re

from .answers import ApiError, Described, bad_request
from .entities import normalize_url
from .params import Params
from .records import JSONDict, Poll, WebhookState, drop_none, now
from .store import EmulatorStore

_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
_POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"


class UpdateDelivery(EmulatorStore):
    """getUpdates, setWebhook, deleteWebhook, getWebhookInfo, and the webhook delivery loop."""

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
        poll = Poll()
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

    async def _set_webhook(self, params: Params) -> Described:
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
        return Described(True, "Webhook was set")

    async def _delete_webhook(self, params: Params) -> Described:
        if params.flag("drop_pending_updates"):
            self._pending.clear()
        was_set = self._webhook is not None
        await self._stop_webhook_task()
        self._webhook = None
        return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    async def _get_webhook_info(self, params: Params) -> JSONDict:
        hook = self._webhook
        info: JSONDict = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if hook is not None:
            info.update(
                drop_none(
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
            hook.last_error_date = now()
            hook.last_error_message = error
            self._bot_fire()
            await asyncio.sleep(self.webhook_retry_delay)
