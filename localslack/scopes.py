"""What the app was granted: bot scopes and event subscriptions from its manifest.yml.

Slack refuses a call whose token lacks the method's scope with
`{"ok": false, "error": "missing_scope", "needed": "<scope>", "provided": "<granted,...>"}`
(https://docs.slack.dev/reference/methods, "missing_scope"; the shape is in
https://docs.slack.dev/apis/web-api#responses). Each method's scope is the one on its page,
https://docs.slack.dev/reference/methods/<method> ("Scopes", bot token).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from localslack.errors import ApiError

# The repository's manifest.yml sits next to the localslack folder.
DEFAULT_MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"

# Methods needing one fixed bot scope (METHOD PAGES). Methods absent here need none
# (views.*, auth.test, api.test, chat.getPermalink), or take an app-level token
# (apps.connections.open, whose connections:write is not a bot scope).
METHOD_SCOPES: dict[str, str] = {
    "bots.info": "users:read",
    "chat.delete": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "conversations.join": "channels:join",
    "files.completeUploadExternal": "files:write",
    "files.getUploadURLExternal": "files:write",
    "files.info": "files:read",
    "team.info": "team:read",
    "users.info": "users:read",
    "users.list": "users:read",
}

# Methods whose scope depends on the kind of conversation (METHOD PAGES list one scope per
# kind: e.g. conversations.history needs channels:history for a public channel,
# groups:history for a private one, im:history for a DM, mpim:history for a group DM).
KIND_SCOPES: dict[str, dict[str, str]] = {
    "conversations.history": {
        "public_channel": "channels:history",
        "private_channel": "groups:history",
        "im": "im:history",
        "mpim": "mpim:history",
    },
    "conversations.info": {
        "public_channel": "channels:read",
        "private_channel": "groups:read",
        "im": "im:read",
        "mpim": "mpim:read",
    },
    "conversations.open": {"im": "im:write", "mpim": "mpim:write"},
}
KIND_SCOPES["conversations.replies"] = KIND_SCOPES["conversations.history"]
KIND_SCOPES["conversations.members"] = KIND_SCOPES["conversations.info"]
KIND_SCOPES["conversations.list"] = KIND_SCOPES["conversations.info"]

# chat.postMessage into a public channel the bot is not in works with this scope
# (https://docs.slack.dev/reference/scopes/chat.write.public).
WRITE_PUBLIC = "chat:write.public"


@dataclass(frozen=True)
class Grants:
    """The bot scopes and bot events an app holds; None means "everything" (no manifest)."""

    scopes: frozenset[str] | None
    events: frozenset[str] | None

    @classmethod
    def everything(cls) -> Grants:
        """No manifest: every scope, every event."""
        return cls(None, None)

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> Grants:
        """oauth_config.scopes.bot and settings.event_subscriptions.bot_events of a manifest."""
        scopes = ((manifest.get("oauth_config") or {}).get("scopes") or {}).get("bot") or []
        settings = manifest.get("settings") or {}
        events = (settings.get("event_subscriptions") or {}).get("bot_events") or []
        return cls(frozenset(map(str, scopes)), frozenset(map(str, events)))

    @classmethod
    def load(cls, manifest: str | Path | Mapping[str, Any] | None) -> Grants:
        """From a manifest path, an already parsed manifest, or None (everything)."""
        if manifest is None:
            return cls.everything()
        if isinstance(manifest, Mapping):
            return cls.from_manifest(manifest)
        parsed = yaml.safe_load(Path(manifest).read_text(encoding="utf-8")) or {}
        return cls.from_manifest(parsed)

    @classmethod
    def default(cls) -> Grants:
        """The repository's manifest.yml when it is there, else everything."""
        return cls.load(DEFAULT_MANIFEST if DEFAULT_MANIFEST.is_file() else None)

    def has(self, scope: str) -> bool:
        """Whether the bot holds `scope`.

        "Everything" holds every scope a method requires, but not chat:write.public: that one
        widens where the bot may post, so it must be granted by name.
        """
        if self.scopes is None:
            return scope != WRITE_PUBLIC
        return scope in self.scopes

    def require(self, *needed: str) -> None:
        """ApiError missing_scope unless every scope in `needed` is held."""
        missing = [s for s in needed if not self.has(s)]
        if missing:
            raise ApiError(
                "missing_scope",
                needed=",".join(missing),
                provided=",".join(sorted(self.scopes or ())),
            )

    def require_for(self, method: str, kinds: Iterable[str] = ()) -> None:
        """The scope `method` needs, for conversations of these `kinds` where that matters."""
        if method in METHOD_SCOPES:
            self.require(METHOD_SCOPES[method])
        by_kind = KIND_SCOPES.get(method)
        if by_kind:
            self.require(*dict.fromkeys(by_kind[k] for k in kinds if k in by_kind))

    def subscribed(self, event_type: str) -> bool:
        """Whether the app subscribed to a bot event (message events by channel kind)."""
        return self.events is None or event_type in self.events
