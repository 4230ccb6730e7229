"""Configuration is validated at start with one clear line per problem."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.platform.config import ConfigError, load_settings

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def test_defaults() -> None:
    settings = load_settings(GOOD)
    assert settings.api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///oneness.db"
    assert settings.port == 3000 and not settings.socket_mode


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({**GOOD, "SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN"),
        ({**GOOD, "SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN"),
        ({**GOOD, "DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({**GOOD, "DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({**GOOD, "PORT": "http"}, "PORT"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({**GOOD, "ONENESS_PUBLIC_URL": "oneness.example.com"}, "ONENESS_PUBLIC_URL"),
        ({**GOOD, "ONENESS_PUBLIC_URL": "ftp://oneness.example.com"}, "ONENESS_PUBLIC_URL"),
        ({**GOOD, "ONENESS_PUBLIC_URL": "https://x.example/?a=1"}, "ONENESS_PUBLIC_URL"),
        ({**GOOD, "ONENESS_PUBLIC_URL": "https://x.example/oneness"}, "ONENESS_PUBLIC_URL"),
        ({**GOOD, "ONENESS_POST_RATE": "fast"}, "ONENESS_POST_RATE"),
        ({**GOOD, "ONENESS_POST_RATE": "0"}, "ONENESS_POST_RATE"),
        ({**GOOD, "ONENESS_POST_RATE": "-5"}, "ONENESS_POST_RATE"),
        ({**GOOD, "ONENESS_POST_RATE": "nan"}, "ONENESS_POST_RATE"),
        ({**GOOD, "ONENESS_POST_RATE": "1000"}, "ONENESS_POST_RATE"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        load_settings(env)


def test_public_url_is_kept_without_its_trailing_slash() -> None:
    assert load_settings(GOOD).public_url is None
    env = {**GOOD, "ONENESS_PUBLIC_URL": " https://oneness.example.com:8443/ "}
    assert load_settings(env).public_url == "https://oneness.example.com:8443"


def test_post_rate_defaults_to_five_a_second_and_paces_the_process_client(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.app import build_deps
    from bot.platform.pacing import PacedWebClient

    assert load_settings(GOOD).post_rate == 5.0
    settings = load_settings(
        {**GOOD, "ONENESS_POST_RATE": " 0.5 ", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    )
    assert settings.post_rate == 0.5
    deps = build_deps(settings, workers=1)
    try:
        assert isinstance(deps.client, PacedWebClient)
        assert deps.client.paced["chat.postMessage"].rate == 0.5
        assert deps.client.paced["chat.postMessage"].burst == 1
    finally:
        deps.close()


def test_socket_mode_needs_no_signing_secret() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert settings.socket_mode


def test_plain_postgresql_url_uses_psycopg3() -> None:
    settings = load_settings({**GOOD, "DATABASE_URL": "postgresql://u@h/db"})
    assert settings.database_url.startswith("postgresql+psycopg://")


def test_secrets_never_in_repr() -> None:
    settings = load_settings({**GOOD, "DATABASE_URL": "postgresql://u:hunter2@h/db"})
    assert "xoxb-1" not in repr(settings) and "hunter2" not in repr(settings)


def test_cli_exits_2_with_one_line_and_no_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"PATH": "/usr/bin:/bin", "SLACK_BOT_TOKEN": "xoxb-1"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "SLACK_SIGNING_SECRET" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
