"""`oneness run` serves the promise page: beside Slack in HTTP mode, and on PORT in Socket Mode
when ONENESS_PUBLIC_URL is set (and not otherwise)."""

from __future__ import annotations

import http.client
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest

from localslack import Channel, LocalSlack, User
from storage.db import make_engine, make_session_factory, transaction, upgrade
from storage.models import Lead, Promise, PromisePage, Team
from tests.e2e.processes import free_port, replica, slack_env

PEOPLE = [User(id="ULEAD", name="lee")]


def _team_with_page(url: str) -> str:
    """Rocket with a promise and its page switched on; returns the page token."""
    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    token = secrets.token_urlsafe(24)
    with transaction(make_session_factory(engine)) as session:
        team = Team(name="Rocket", channel_id="CTEAM", created_by="ULEAD", created_at=now)
        session.add(team)
        session.flush()
        session.add(Lead(team_id=team.id, user_id="ULEAD", added_at=now))
        session.add(
            Promise(
                team_id=team.id,
                pledge="Replies within a day.",
                customer_must="Open a ticket.",
                remedy="A call from a senior engineer",
                remedy_hours=24,
                set_by="ULEAD",
                created_at=now,
            )
        )
        session.add(
            PromisePage(team_id=team.id, token=token, enabled=True, created_at=now, updated_at=now)
        )
    engine.dispose()
    return token


def _get(port: int, path: str) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def _post(port: int, path: str, body: bytes, cookie: str = "") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _report(port: int, token: str) -> int:
    status, headers, html = _get(port, f"/p/{token}")
    assert status == 200 and "Replies within a day." in html
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match
    body = urlencode({"csrf": match.group(1), "what": "Nobody called back <!channel>"}).encode()
    return _post(port, f"/p/{token}/broke", body, headers["Set-Cookie"].split(";")[0])


def test_http_mode_serves_the_page_beside_slack(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    token = _team_with_page(url)
    with LocalSlack(
        users=PEOPLE, channels=[Channel(id="CTEAM", name="team", members=["UBOT"])]
    ) as slack:
        port = free_port()
        env = slack_env(slack, url, port) | {"ONENESS_PUBLIC_URL": f"http://127.0.0.1:{port}"}
        with replica(env, tmp_path) as bot:
            bot.wait_healthy()
            status, headers, _ = _get(port, "/p/" + "z" * 32)
            assert status == 404 and headers["X-Frame-Options"] == "DENY"
            assert _report(port, token) == 303
            [post] = slack.wait_for(lambda: slack.messages("CTEAM"), timeout=15)
            text = post.all_text()
            assert "reported by a customer" in text and "&lt;!channel&gt;" in text
            assert bot.terminate() == 0
            assert "Traceback" not in bot.output and token not in bot.output


def test_socket_mode_serves_only_the_page_on_port_when_public(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    token = _team_with_page(url)
    with LocalSlack(
        users=PEOPLE, channels=[Channel(id="CTEAM", name="team", members=["UBOT"])]
    ) as slack:
        port = free_port()
        env = slack_env(slack, url, port) | {
            "SLACK_APP_TOKEN": slack.app_token,
            "ONENESS_PUBLIC_URL": "https://promise.example.com",
        }
        del env["SLACK_SIGNING_SECRET"]
        with replica(env, tmp_path) as bot:
            slack.wait_for_socket(timeout=30)
            slack.wait_for(lambda: "serving the promise pages" in bot.output, timeout=15)
            assert _get(port, "/slack/events")[0] == 404
            assert _get(port, "/healthz")[0] == 404
            status, headers, _ = _get(port, f"/p/{token}")
            assert status == 200 and "Secure" in headers["Set-Cookie"]
            assert _post(port, f"/p/{token}/broke", b"what=" + b"a" * 20000) == 413
            assert _report(port, token) == 303
            slack.wait_for(lambda: slack.messages("CTEAM"), timeout=15)
            assert bot.terminate() == 0


def test_socket_mode_without_a_public_url_listens_on_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    _team_with_page(url)
    with LocalSlack(users=PEOPLE) as slack:
        port = free_port()
        env = slack_env(slack, url, port) | {"SLACK_APP_TOKEN": slack.app_token}
        del env["SLACK_SIGNING_SECRET"]
        with replica(env, tmp_path) as bot:
            slack.wait_for_socket(timeout=30)
            with pytest.raises(ConnectionRefusedError):
                _get(port, "/p/x")
            assert bot.terminate() == 0
