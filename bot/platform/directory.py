"""Who people and channels are, asked of Slack (users.info, users.list, conversations.*)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.platform.errors import NotFound
from bot.platform.mentions import ChannelRef, UserRef


@dataclass(frozen=True)
class Person:
    """What the bot needs to know about a Slack user."""

    id: str
    name: str
    tz: str | None = None
    is_bot: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class ChannelInfo:
    """A channel's id, name and whether the bot is in it."""

    id: str
    name: str
    is_member: bool


def _person(user: dict[str, Any]) -> Person:
    profile = user.get("profile") or {}
    name = profile.get("display_name") or user.get("real_name") or user.get("name") or user["id"]
    return Person(
        id=user["id"],
        name=name,
        tz=user.get("tz"),
        is_bot=bool(user.get("is_bot")) or user["id"] == "USLACKBOT",
        deleted=bool(user.get("deleted")),
    )


class Directory:
    """Looks people and channels up once per request; answers from a small cache after that."""

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._people: dict[str, Person] = {}
        self._by_name: dict[str, Person] | None = None

    def person(self, user_id: str) -> Person:
        """A person by id, or NotFound."""
        if user_id not in self._people:
            try:
                user = self._client.users_info(user=user_id)["user"]
            except SlackApiError as error:
                if error.response.get("error") == "user_not_found":
                    raise NotFound(f"I can't find <@{user_id}> in this workspace.") from None
                raise
            self._people[user_id] = _person(user)
        return self._people[user_id]

    def resolve(self, ref: UserRef) -> Person:
        """The person a mention or plain @name refers to."""
        if ref.user_id:
            return self.person(ref.user_id)
        assert ref.name is not None
        found = self._names().get(ref.name.lower())
        if found is None:
            raise NotFound(f"I can't find anyone called @{ref.name}. Mention them with @ instead.")
        return found

    def _names(self) -> dict[str, Person]:
        if self._by_name is None:
            self._by_name = {}
            for page in self._client.users_list(limit=200):
                for user in page["members"]:
                    person = _person(user)
                    self._people.setdefault(person.id, person)
                    for key in (user.get("name"), (user.get("profile") or {}).get("display_name")):
                        if key:
                            self._by_name.setdefault(key.lower(), person)
        return self._by_name

    def channel(self, ref: ChannelRef) -> ChannelInfo:
        """A channel by id or by name, or NotFound."""
        if ref.channel_id:
            try:
                info = self._client.conversations_info(channel=ref.channel_id)["channel"]
            except SlackApiError as error:
                if error.response.get("error") == "channel_not_found":
                    raise NotFound(
                        f"I can't see {ref}. If it is private, invite me first: `/invite @Oneness`."
                    ) from None
                raise
            return ChannelInfo(
                info["id"], info.get("name", ref.name or ""), bool(info.get("is_member"))
            )
        for page in self._client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=200
        ):
            for info in page["channels"]:
                if info.get("name", "").lower() == ref.name:
                    return ChannelInfo(info["id"], info["name"], bool(info.get("is_member")))
        raise NotFound(
            f"I can't find #{ref.name}. If it is private, invite me first: `/invite @Oneness`."
        )
