"""The three-step external file upload."""

from __future__ import annotations

from typing import Any

from localslack.methods import Handler, Methods
from localslack.models import UploadedFile
from localslack.params import int_arg, json_arg, list_arg, text_arg
from localslack.state import ApiError, PendingUpload


class FileMethods(Methods):
    """files.getUploadURLExternal, the upload URL itself, files.completeUploadExternal."""

    def handlers(self) -> dict[str, Handler]:
        """files.* handlers."""
        return {
            "files.getUploadURLExternal": self.files_get_upload_url,
            "files.completeUploadExternal": self.files_complete_upload,
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

    def files_complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        """Step three: share the uploaded files, with one message per channel."""
        items = json_arg(params, "files", error="invalid_arguments")
        if not isinstance(items, list) or not items:
            raise ApiError("invalid_arguments")
        refs = list_arg(params, "channels") or list_arg(params, "channel_id")
        channels = [self.ws.postable_conversation(ref) for ref in refs]
        comment = text_arg(params, "initial_comment")
        thread_ts = text_arg(params, "thread_ts")
        shared: list[dict[str, Any]] = []
        for item in items:
            file_id = item.get("id") if isinstance(item, dict) else None
            pending = self.ws.uploads.get(file_id or "")
            if pending is None or pending.content is None:
                raise ApiError("file_not_found")
            title = item.get("title") or pending.filename
            self.ws.files.append(
                UploadedFile(
                    id=file_id or "",
                    filename=pending.filename,
                    title=title,
                    content=pending.content,
                    channels=channels,
                    initial_comment=comment,
                )
            )
            del self.ws.uploads[file_id or ""]
            shared.append(
                {
                    "id": file_id,
                    "name": pending.filename,
                    "title": title,
                    "size": len(pending.content),
                    "channels": channels,
                    "url_private": f"{self.ws.base_url}/files/{file_id}",
                }
            )
        for channel in channels:
            self.bot_message(channel, comment or "", [], thread_ts=thread_ts, files=shared)
        return {"files": shared}
