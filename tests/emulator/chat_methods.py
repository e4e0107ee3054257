"""The Bot API methods that describe a chat and its members: getChat, getChatMember, getChatMemberCount."""

from __future__ import annotations

import copy

from .answers import bad_request
from .params import Params
from .records import JSONDict
from .request_checks import RequestChecks


class ChatMethods(RequestChecks):
    """What the bot can learn about a chat and who is in it."""

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
