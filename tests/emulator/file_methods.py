"""The Bot API methods on files: sendDocument (upload or file_id) and getFile."""

from __future__ import annotations

import copy

from .answers import ApiError, bad_request
from .params import Params, UploadedFile
from .records import JSONDict
from .request_checks import RequestChecks


class FileMethods(RequestChecks):
    """sendDocument and getFile; the bytes are served by ``BotApiEmulator``'s file endpoint."""

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
