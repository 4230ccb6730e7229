"""What follows between features: the one place a stored check-in leads to a rally.

Every way of answering (a score button, the modal, a DM number, the team picker, an edit) ends
in `on_checkin_stored`; the listeners never chain features themselves.

The App Home is not published after an answer: it is rendered when it is opened
(app_home_opened, handlers/home.py), for the member and for a lead's dashboard alike. A
views.publish per answer is a Tier 4 call (about 100 a minute a workspace) that a Friday storm
would exhaust, for a tab the person is usually not looking at (bench/storm.py).
"""

from __future__ import annotations

from bot.checkin.service import Stored
from bot.platform.deps import Deps
from bot.rally.service import after_checkin


def on_checkin_stored(deps: Deps, stored: Stored | None) -> None:
    """After an answer: the drop rule on what was stored (a rally opens or is updated)."""
    if stored is not None:
        after_checkin(deps, stored.checkins)
