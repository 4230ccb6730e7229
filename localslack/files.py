"""The three-step external file upload, and files.info."""

from __future__ import annotations

import time
from typing import Any

from localslack.errors import ApiError
from localslack.methods import Handler, Methods
from localslack.models import UploadedFile
from localslack.params import int_arg, json_arg, list_arg, text_arg
from localslack.state import PendingUpload

# files.completeUploadExternal's channel_id takes conversation ids only: a user id is refused
# with invalid_arguments, "input must match regex pattern: ^[CGDZ][A-Z0-9]{8,}$
# [json-pointer:/channel_id]" (slackapi/bolt-js#2115). The local Slack's ids are shorter, so
# only the first letter is checked.
CHANNEL_ID_PREFIXES = ("C", "G", "D", "Z")


class FileMethods(Methods):
    """files.getUploadURLExternal, the upload URL itself, files.completeUploadExternal."""

    def handlers(self) -> dict[str, Handler]:
        """files.* handlers."""
        return {
            "files.getUploadURLExternal": self.files_get_upload_url,
            "files.completeUploadExternal": self.files_complete_upload,
            "files.info": self.files_info,
        }

    def files_get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        """Step one of an upload: where to send the bytes."""
        filename = text_arg(params, "filename")
        length = int_arg(params, "length", -1)
        if not filename or length < 0:
            raise ApiError("invalid_arguments")
        file_id = self.ws.new_id("F")
        self.ws.uploads[file_id] = PendingUpload(filename=filename, length=length)
        return {"upload_url": f"{self.ws.base_url}/upload/{file_id}", "file_id": file_id}

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        """Step two: the bytes posted to the upload URL; False for an unknown URL."""
        with self.ws.lock:
            pending = self.ws.uploads.get(file_id)
            if pending is None:
                return False
            pending.content = content
            return True

    def _share_targets(self, params: dict[str, Any]) -> list[str]:
        """Where the files go: `channel_id` (a conversation id) or `channels` (ids or users)."""
        channel_id = text_arg(params, "channel_id")
        if channel_id is not None and not channel_id.startswith(CHANNEL_ID_PREFIXES):
            raise ApiError(
                "invalid_arguments",
                errors=["input must match regex pattern: ^[CGDZ][A-Z0-9]{8,}$"],
                response_metadata={
                    "messages": [
                        "[ERROR] input must match regex pattern: ^[CGDZ][A-Z0-9]{8,}$ "
                        "[json-pointer:/channel_id]"
                    ]
                },
            )
        refs = [channel_id] if channel_id else list_arg(params, "channels")
        targets = [self.ws.postable_conversation(ref) for ref in refs]
        for target in targets:
            # "not_in_channel: User/bot membership is required for the specified channel."
            # (files.completeUploadExternal errors; chat:write.public does not help here.)
            self.ws.require_open(target)
            self.ws.require_member(target)
        return targets

    def files_complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        """Step three: share the uploaded files, with one message per channel."""
        items = json_arg(params, "files", error="invalid_arguments")
        if not isinstance(items, list) or not items:
            raise ApiError("invalid_arguments")
        channels = self._share_targets(params)
        comment = text_arg(params, "initial_comment")
        thread_ts = text_arg(params, "thread_ts")
        ready_at = time.monotonic() + self.ws.file_processing_seconds
        shared: list[dict[str, Any]] = []
        for item in items:
            file_id = item.get("id") if isinstance(item, dict) else None
            pending = self.ws.uploads.get(file_id or "")
            if pending is None or pending.content is None:
                raise ApiError("file_not_found")
            title = item.get("title") or pending.filename
            uploaded = UploadedFile(
                id=file_id or "",
                filename=pending.filename,
                title=title,
                content=pending.content,
                channels=channels,
                initial_comment=comment,
                user=self.ws.identity.bot_user_id,
                url_private=f"{self.ws.base_url}/files/{file_id}",
                ready_at=ready_at,
            )
            self.ws.files.append(uploaded)
            del self.ws.uploads[file_id or ""]
            shared.append(self.file_object(uploaded))
        for channel in channels:
            self.bot_message(channel, comment or "", [], thread_ts=thread_ts, files=shared)
        return {"files": shared}

    def files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """One file; while it is processing its `mimetype` is still empty."""
        found = self.ws.find_file(text_arg(params, "file") or "")
        if found is None:
            raise ApiError("file_not_found")
        return {"file": self.file_object(found)}

    def file_object(self, uploaded: UploadedFile) -> dict[str, Any]:
        """The file as Web API answers show it."""
        processed = time.monotonic() >= uploaded.ready_at
        return {
            "id": uploaded.id,
            "name": uploaded.filename,
            "title": uploaded.title,
            "user": uploaded.user,
            "size": len(uploaded.content),
            "mimetype": _mimetype(uploaded.filename) if processed else "",
            "channels": list(uploaded.channels),
            "url_private": uploaded.url_private,
        }


def _mimetype(filename: str) -> str:
    """A mimetype from the file name, as Slack reports it once processed."""
    kinds = {".png": "image/png", ".csv": "text/csv", ".txt": "text/plain"}
    dot = filename.rfind(".")
    return kinds.get(filename[dot:].lower(), "application/octet-stream") if dot >= 0 else ""
