"""User text reaching Slack is inert: no mention, broadcast, channel link or disguised link."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.platform.escape import escape

SPECIAL = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<@U123>",
        "<@U1|ann>",
        "<#C1|general>",
        "<http://evil.example|bank>",
        "<mailto:a@b|x>",
        "@channel",
        "@here",
        "@everyone",
        "&",
        "<",
        ">",
        "&lt;",
    ]
)
TEXT = st.lists(st.one_of(st.text(max_size=20), SPECIAL), max_size=12).map("".join)


@given(TEXT)
def test_no_control_sequence_survives(text: str) -> None:
    out = escape(text)
    assert "<" not in out and ">" not in out
    assert not re.search(r"@(channel|here|everyone)\b", out, re.IGNORECASE)


@given(TEXT)
def test_readable_text_is_kept(text: str) -> None:
    out = escape(text).replace("\u2060", "")
    restored = out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert restored == text


def test_examples() -> None:
    assert escape("<!channel> hi") == "&lt;!channel&gt; hi"
    assert escape("<http://x|bank>") == "&lt;http://x|bank&gt;"
    assert escape("@here now") == "@\u2060here now"
