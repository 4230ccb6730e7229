"""users.*, auth.test, team.info and bots.info."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from localslack.methods import Handler, Methods, paginate
from localslack.models import User
from localslack.params import text_arg
from localslack.state import Workspace


class UserMethods(Methods):
    """People, the workspace and the app's own identity."""

    def handlers(self) -> dict[str, Handler]:
        """users.*, auth.test, team.info and bots.info handlers."""
        return {
            "auth.test": self.auth_test,
            "team.info": self.team_info,
            "bots.info": self.bots_info,
            "users.info": self.users_info,
            "users.list": self.users_list,
        }

    def auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        """Who the token belongs to."""
        ident = self.ws.identity
        return {
            "url": f"{self.ws.base_url}/",
            "team": ident.team_name,
            "user": "oneness",
            "team_id": ident.team_id,
            "user_id": ident.bot_user_id,
            "bot_id": ident.bot_id,
            "is_enterprise_install": False,
        }

    def team_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """The workspace."""
        ident = self.ws.identity
        return {
            "team": {
                "id": ident.team_id,
                "name": ident.team_name,
                "domain": ident.team_domain,
                "email_domain": "",
                "icon": {},
            }
        }

    def bots_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """The app's bot."""
        ident = self.ws.identity
        return {
            "bot": {
                "id": ident.bot_id,
                "deleted": False,
                "name": "oneness",
                "app_id": ident.app_id,
                "user_id": ident.bot_user_id,
                "icons": {},
            }
        }

    def _user_object(self, user: User) -> dict[str, Any]:
        """users.info's user object."""
        return user_object(self.ws, user)

    def users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """One user."""
        return {"user": self._user_object(self.ws.require_user(text_arg(params, "user") or ""))}

    def users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """Everyone, paginated."""
        users = list(self.ws.users.values())
        page, _, cursor = paginate(users, params, default_limit=0, max_limit=1000)
        return {
            "members": [self._user_object(u) for u in page],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": cursor},
        }


def user_object(ws: Workspace, user: User) -> dict[str, Any]:
    """users.info's user object, with the time zone offset as of now."""
    try:
        zone = ZoneInfo(user.tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    now = datetime.now(zone)
    offset = now.utcoffset()
    real_name = user.real_name or user.name
    return {
        "id": user.id,
        "team_id": ws.identity.team_id,
        "name": user.name,
        "real_name": real_name,
        "deleted": user.deleted,
        "is_bot": user.is_bot,
        "is_admin": user.is_admin,
        "is_owner": False,
        "is_app_user": False,
        "tz": user.tz,
        "tz_label": now.tzname() or user.tz,
        "tz_offset": int(offset.total_seconds()) if offset else 0,
        "profile": {
            "display_name": user.name,
            "display_name_normalized": user.name,
            "real_name": real_name,
            "real_name_normalized": real_name,
        },
        "updated": 0,
    }
