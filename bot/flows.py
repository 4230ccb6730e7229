"""What follows between features: the one place a stored check-in leads to a rally and the
person's App Home.

Every way of answering (a score button, the modal, a DM number, the team picker, an edit) ends
in `on_checkin_stored`; the listeners never chain features themselves.
"""

from __future__ import annotations

from bot.checkin.service import Stored
from bot.home.service import publish_home
from bot.platform.deps import Deps
from bot.rally.service import after_checkin


def on_checkin_stored(deps: Deps, user_id: str, stored: Stored | None) -> None:
    """After an answer: the drop rule on what was stored (a rally opens or is updated), then
    the person's App Home, which shows the answer (also when nothing new was stored, as when
    a second click repeats the score)."""
    if stored is not None:
        after_checkin(deps, stored.checkins)
    publish_home(deps, user_id)
