"""The promise's fixtures: team Rocket with a promise, the page served over real HTTP, helpers
that play a lead, a member or a customer."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.platform.server import HttpServer, OnenessWSGI
from bot.promise import ids
from bot.promise.page import PromisePage
from localslack import Message, field_values
from storage.db import transaction
from storage.models import Promise, PromiseBreak
from storage.models import PromisePage as PageRow
from tests.harness import Oneness

PLEDGE = "A reply to every ticket within one working day."
MUST = "Open a ticket at help.example.com with your order number."
REMEDY = "A senior engineer calls you and the month is free"


@pytest.fixture
def team(oneness: Oneness) -> Oneness:
    """Rocket in #team: Lee leads; Ann, Bob and Cat are members (Dan is in no team)."""
    oneness.slash("ULEAD", "setup <#CTEAM|team> Rocket")
    oneness.slash("ULEAD", "add <@UANN> <@UBOB> <@UCAT>", channel="CTEAM")
    return oneness


def set_promise(
    o: Oneness,
    *,
    pledge: str = PLEDGE,
    must: str = MUST,
    remedy: str = REMEDY,
    hours: int = 24,
    user: str = "ULEAD",
) -> Any:
    """A lead runs `/oneness promise` in #team and saves the form; returns the ack."""
    o.slash(user, "promise", channel="CTEAM")
    view = o.slack.open_views(user)[-1]
    values = field_values(
        view,
        **{
            ids.P_PLEDGE: pledge,
            ids.P_MUST: must,
            ids.P_REMEDY: remedy,
            ids.P_HOURS: str(hours),
        },
    )
    reply = o.driver.submit_view(user, view, values)
    o.settle()
    return reply


@pytest.fixture
def promised(team: Oneness) -> Oneness:
    """Rocket with its promise set (remedy within 24 hours)."""
    set_promise(team)
    return team


def channel_posts(o: Oneness) -> list[Message]:
    """What the bot posted in #team."""
    return [m for m in o.slack.messages("CTEAM") if m.user == "UBOT"]


def break_posts(o: Oneness) -> list[Message]:
    """Break posts in #team."""
    return [m for m in channel_posts(o) if "Broken promise" in m.all_text()]


def seen_by(o: Oneness, user: str) -> str:
    """Every ephemeral a person saw."""
    return "\n".join(e.all_text() for e in o.slack.ephemerals(user))


def breaks(o: Oneness) -> list[PromiseBreak]:
    """Every stored break, first first."""
    with transaction(o.deps.sessions) as session:
        return list(session.scalars(select(PromiseBreak).order_by(PromiseBreak.id)))


def promises(o: Oneness) -> list[Promise]:
    """Every stored promise version, first first."""
    with transaction(o.deps.sessions) as session:
        return list(session.scalars(select(Promise).order_by(Promise.id)))


def page_row(o: Oneness) -> PageRow:
    """Rocket's page row."""
    with transaction(o.deps.sessions) as session:
        row = session.scalar(select(PageRow))
        assert row is not None
        return row


def shortcut(o: Oneness, user: str, text: str, channel: str = "CTEAM") -> Any:
    """`user` picks "Report a broken promise" on a message saying `text`, as Slack sends it."""
    ws = o.slack.workspace.identity
    payload = {
        "type": "message_action",
        "token": "localslack-verification-token",
        "action_ts": "1700000000.000100",
        "team": {"id": ws.team_id, "domain": "local"},
        "user": {"id": user, "name": user.lower(), "team_id": ws.team_id},
        "channel": {"id": channel, "name": "team"},
        "callback_id": ids.SHORTCUT,
        "trigger_id": o.slack.issue_trigger(user),
        "response_url": o.slack.issue_response_url(user, channel),
        "message_ts": "1700000000.000200",
        "message": {
            "type": "message",
            "user": "UCUSTOMER",
            "text": text,
            "ts": "1700000000.000200",
        },
        "api_app_id": ws.app_id,
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    reply = o.driver.raw(
        body, {"Content-Type": "application/x-www-form-urlencoded", **o.driver.sign(body)}
    )
    o.settle()
    return reply


def stale_click(o: Oneness, user: str, action_id: str, value: str, channel: str = "CTEAM") -> Any:
    """A click on a button that an older copy of a message still shows (Slack clients keep
    stale copies), sent as Slack sends it."""
    ws = o.slack.workspace.identity
    payload = {
        "type": "block_actions",
        "token": "localslack-verification-token",
        "team": {"id": ws.team_id, "domain": "local"},
        "user": {"id": user, "name": user.lower(), "team_id": ws.team_id},
        "api_app_id": ws.app_id,
        "trigger_id": o.slack.issue_trigger(user),
        "response_url": o.slack.issue_response_url(user, channel),
        "channel": {"id": channel, "name": "team"},
        "container": {"type": "message", "channel_id": channel, "message_ts": "1.000001"},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "x", "value": value}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    reply = o.driver.raw(
        body, {"Content-Type": "application/x-www-form-urlencoded", **o.driver.sign(body)}
    )
    o.settle()
    return reply


@dataclass
class Site:
    """The promise page served by the real WSGI app over real HTTP."""

    host: str
    port: int

    @property
    def base(self) -> str:
        """`http://127.0.0.1:<port>`."""
        return f"http://{self.host}:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        source: str | None = None,
    ) -> tuple[int, dict[str, str], str]:
        """One request (from loopback address `source` if given): status, headers, body."""
        conn = http.client.HTTPConnection(
            self.host, self.port, timeout=15, source_address=(source, 0) if source else None
        )
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            conn.close()

    def form(self, token: str, *, source: str | None = None) -> tuple[str, str]:
        """GET the page: (the cookie to send back, the CSRF token of its forms)."""
        status, headers, html = self.request("GET", f"/p/{token}", source=source)
        assert status == 200, html
        cookie = headers["Set-Cookie"].split(";")[0]
        match = re.search(r'name="csrf" value="([^"]+)"', html)
        assert match
        return cookie, match.group(1)

    def post(
        self,
        token: str,
        action: str,
        fields: dict[str, str],
        cookie: str,
        *,
        source: str | None = None,
    ) -> tuple[int, dict[str, str], str]:
        """POST a form to the page."""
        body = urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        return self.request("POST", f"/p/{token}/{action}", body, headers, source=source)


@pytest.fixture
def site(oneness: Oneness) -> Iterator[Site]:
    """The app's WSGI with the promise pages, as `oneness run` serves it in HTTP mode."""
    server = HttpServer(
        OnenessWSGI(oneness.server_app, oneness.deps.engine, pages=PromisePage(oneness.deps)),
        host="127.0.0.1",
        port=0,
        threads=8,
    ).start_in_thread()
    try:
        yield Site("127.0.0.1", server.port)
    finally:
        server.close()


def page_on(o: Oneness) -> str:
    """The lead switches Rocket's page on; returns its token."""
    seen = o.slash("ULEAD", "promise page on", channel="CTEAM")
    assert "is *on*" in seen, seen
    return page_row(o).token
