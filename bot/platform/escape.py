"""The one escape function for user text that reaches Slack."""

from __future__ import annotations

import re

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_ZERO_WIDTH_JOINER = "\u2060"


def escape(text: str) -> str:
    """Make user text inert in mrkdwn: no mentions, broadcasts, channel links or disguised links."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A word joiner after @ keeps `@channel` readable but stops it from ever notifying anyone.
    return _BROADCAST.sub(lambda m: "@" + _ZERO_WIDTH_JOINER + m.group(1), text)
