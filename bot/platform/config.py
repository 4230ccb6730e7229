"""Settings from the environment and `.env`; the only module that reads the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///oneness.db"
DEFAULT_PORT = 3000
# chat.postMessage messages a second across the workspace. Slack publishes 1 a second per
# channel and "several hundred messages per minute" per workspace
# (https://docs.slack.dev/apis/web-api/rate-limits); prompts go to separate DMs, so only the
# workspace figure applies to a fan-out. 5 a second is 300 a minute. Too high costs a 429 and
# a Retry-After wait; too low would delay every prompt and confirmation for nothing.
DEFAULT_POST_RATE = 5.0


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    """Validated configuration for one process."""

    bot_token: str
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    port: int = DEFAULT_PORT
    log_level: str = "INFO"
    tick_seconds: float = 15.0
    # The public base URL of the promise pages (`<public_url>/p/<token>`); None: not public.
    public_url: str | None = None
    # chat.postMessage a second for this process (ONENESS_POST_RATE); None: not paced (tests
    # and the demo build Settings directly and rely on the local Slack's 429s instead).
    post_rate: float | None = None

    @property
    def socket_mode(self) -> bool:
        """Socket Mode is chosen by the presence of an app-level token."""
        return bool(self.app_token)

    def __repr__(self) -> str:
        # Secrets never reach logs, even through a repr of the settings.
        return (
            f"Settings(api_url={self.api_url!r}, database_url={_redact_url(self.database_url)!r}, "
            f"port={self.port}, socket_mode={self.socket_mode})"
        )


def _redact_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable>"


def load_environment(env_file: str | None = ".env") -> dict[str, str]:
    """The process environment over the values of `.env` (the process wins)."""
    values: dict[str, str] = {}
    if env_file and os.path.exists(env_file):
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ)
    return values


def load_settings(env: Mapping[str, str], *, need_slack: bool = True) -> Settings:
    """Validate `env` into Settings, or raise ConfigError naming the variable and the fix."""
    bot_token = env.get("SLACK_BOT_TOKEN", "").strip()
    app_token = env.get("SLACK_APP_TOKEN", "").strip() or None
    signing_secret = env.get("SLACK_SIGNING_SECRET", "").strip() or None
    if need_slack:
        if not bot_token:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from "
                "your app's OAuth & Permissions page into .env"
            )
        if not bot_token.startswith("xoxb-"):
            raise ConfigError(
                "SLACK_BOT_TOKEN must be a bot token starting with xoxb- (not a user or "
                "app-level token): copy it from OAuth & Permissions"
            )
        if app_token is not None and not app_token.startswith("xapp-"):
            raise ConfigError(
                "SLACK_APP_TOKEN must be an app-level token starting with xapp- "
                "(Basic Information > App-Level Tokens, scope connections:write), "
                "or unset it to run in HTTP mode"
            )
        if app_token is None and not signing_secret:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify requests "
                "(Basic Information > Signing Secret), or set SLACK_APP_TOKEN for Socket Mode"
            )
    api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
    if not api_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_API_URL}, got {api_url!r}"
        )
    if not api_url.endswith("/"):
        api_url += "/"
    database_url = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    database_url = _validate_database_url(database_url)
    port_text = env.get("PORT", "").strip() or str(DEFAULT_PORT)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"PORT must be a number from 1 to 65535, got {port_text!r}")
    log_level = read_log_level(env)
    tick_text = env.get("ONENESS_TICK_SECONDS", "").strip() or "15"
    try:
        tick_seconds = float(tick_text)
    except ValueError:
        tick_seconds = -1.0
    if not 0.05 <= tick_seconds <= 3600:
        raise ConfigError(
            f"ONENESS_TICK_SECONDS must be seconds between 0.05 and 3600, got {tick_text!r}"
        )
    public_url = _validate_public_url(env.get("ONENESS_PUBLIC_URL", "").strip())
    post_rate = _read_post_rate(env)
    return Settings(
        post_rate=post_rate,
        public_url=public_url,
        tick_seconds=tick_seconds,
        bot_token=bot_token,
        signing_secret=signing_secret,
        app_token=app_token,
        api_url=api_url,
        database_url=database_url,
        port=int(port_text),
        log_level=log_level,
    )


def _read_post_rate(env: Mapping[str, str]) -> float:
    text = env.get("ONENESS_POST_RATE", "").strip() or f"{DEFAULT_POST_RATE:g}"
    try:
        rate = float(text)
    except ValueError:
        rate = -1.0
    # Above 100 a second (6,000 a minute) no Slack workspace takes posts; 0.01 is one a
    # hundred seconds, slow enough for any trial.
    if not 0.01 <= rate <= 100:
        raise ConfigError(
            "ONENESS_POST_RATE must be chat.postMessage messages a second across the "
            f"workspace, between 0.01 and 100 (default {DEFAULT_POST_RATE:g}), got {text!r}"
        )
    return rate


def _validate_public_url(url: str) -> str | None:
    if not url:
        return None
    parsed = urlsplit(url)
    # An origin only: the pages live at /p/ under it, and link to themselves by absolute path.
    if (
        parsed.scheme not in ("http", "https")
        or not parsed.netloc
        or parsed.path not in ("", "/")
        or parsed.query
        or parsed.fragment
    ):
        raise ConfigError(
            "ONENESS_PUBLIC_URL must be the http(s) origin people reach this server at, such "
            f"as https://oneness.example.com (no path), got {url!r}"
        )
    return url.rstrip("/")


def read_log_level(env: Mapping[str, str], default: str = "INFO") -> str:
    """LOG_LEVEL, validated: DEBUG, INFO, WARNING or ERROR."""
    log_level = (env.get("LOG_LEVEL", "").strip() or default).upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")
    return log_level


def _validate_database_url(url: str) -> str:
    fix = "use sqlite:///oneness.db or postgresql+psycopg://user@host:5432/dbname"
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"DATABASE_URL is not a database URL ({fix})") from None
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise ConfigError(f"DATABASE_URL names an unsupported database {backend!r} ({fix})")
    if backend == "postgresql" and parsed.drivername in {"postgresql", "postgres"}:
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
        return parsed.render_as_string(hide_password=False)
    return url
