"""Text a person typed, as it enters the bot: the one cleaning every parser applies."""

from __future__ import annotations

NUL = "\x00"


def strip_nul(text: str) -> str:
    """`text` without NUL characters, which PostgreSQL refuses to store (storage.db strips
    them again from every bound string, as a last guard)."""
    return text.replace(NUL, "") if NUL in text else text
