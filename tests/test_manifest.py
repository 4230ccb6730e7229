"""manifest.yml declares every command and event the app listens to and a scope per Web API call."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CODE = [
    p for d in ("bot", "handlers") for p in (ROOT / d).rglob("*.py") if "localslack" not in p.parts
]

# The bot-token scope each Web API method needs (views.* and auth.test need none).
SCOPES = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_delete": "chat:write",
    "users_info": "users:read",
    "users_list": "users:read",
    "conversations_open": "im:write",
    "conversations_history": "im:history",
    "conversations_info": "channels:read",
    "conversations_list": "channels:read",
    "files_upload_v2": "files:write",
    "files_getUploadURLExternal": "files:write",
    "files_completeUploadExternal": "files:write",
    "views_open": None,
    "views_publish": None,
    "views_update": None,
    "views_push": None,
    "auth_test": None,
}
EVENT_TO_MANIFEST = {"message": "message.im"}


def manifest() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def source() -> str:
    return "\n".join(p.read_text() for p in CODE)


def test_every_command_is_declared_with_escaping() -> None:
    declared = {c["command"]: c for c in manifest()["features"]["slash_commands"]}
    used = set(re.findall(r'COMMAND = "(/[a-z-]+)"', source()))
    assert used and used <= set(declared)
    for command in used:
        assert declared[command]["should_escape"] is True
        assert declared[command]["usage_hint"]


def test_every_event_is_subscribed() -> None:
    events = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    used = set(re.findall(r'app\.event\("([a-z_]+)"\)', source()))
    assert used
    for event in used:
        assert EVENT_TO_MANIFEST.get(event, event) in events


def test_every_web_api_call_has_its_scope() -> None:
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    called = set(re.findall(r"client\.([a-z]+_[A-Za-z0-9_]+)\(", source()))
    assert "chat_postMessage" in called
    unknown = called - set(SCOPES)
    assert not unknown, f"add these methods to SCOPES with the scope they need: {unknown}"
    for method in called:
        needed = SCOPES[method]
        assert needed is None or needed in scopes, f"{method} needs {needed}"


def test_app_home_and_socket_mode() -> None:
    data = manifest()
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["features"]["app_home"]["messages_tab_enabled"] is True
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["settings"]["socket_mode_enabled"] is True


def test_every_shortcut_is_declared() -> None:
    from bot.promise import ids

    declared = {s["callback_id"]: s for s in manifest()["features"].get("shortcuts", [])}
    used = set(re.findall(r"app\.shortcut\(ids\.([A-Z_]+)\)", source()))
    assert used == {"SHORTCUT"}
    shortcut = declared[ids.SHORTCUT]
    assert shortcut["type"] == "message" and shortcut["name"] == "Report a broken promise"
    assert len(shortcut["description"]) <= 80
    assert "commands" in manifest()["oauth_config"]["scopes"]["bot"]  # shortcuts need it
