"""The Bot API methods about the bot itself: getMe, logOut/close, its commands, descriptions and name."""

from __future__ import annotations

import copy
import re

from .answers import bad_request
from .params import Params
from .records import JSONDict
from .request_checks import RequestChecks

_COMMAND_SCOPES = frozenset(
    {
        "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
        "chat_administrators", "chat_member",
    }
)  # fmt: skip


class BotProfileMethods(RequestChecks):
    """The bot's own identity and settings, per command scope and language."""

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

    # ------------------------------------------------------------------ commands

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

    # ------------------------------------------------------------------ descriptions and name

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
