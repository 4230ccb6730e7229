"""`oneness demo` end to end: the real command line, the local Slack, a transcript on disk."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_demo_plays_a_week_and_writes_the_transcript(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"demo failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    transcript = out / "transcript.txt"
    assert transcript.is_file()
    text = transcript.read_text(encoding="utf-8")
    assert str(transcript) in done.stdout
    assert "Team *Rocket* is set up in #team" in text
    assert "@robot is a bot, so I can't add them" in text
    assert "Weekly check-in · Rocket" in text
    assert "dan ← DM: A gentle reminder" in text
    assert "Answered: *3/4*" in text
    assert "#team ←: :raising_hand: A teammate is having a rough week" in text
    assert "owned by @ann" in text
    assert "A teammate says the help landed" in text
    assert "Weekly summary · 2026-W48" in text and "Weekly summary · 2027-W02" in text
    assert "Sent you Rocket's check-ins as CSV" in text
    # Channel access: the nudge waits for /invite, the lead hears once, the Home shows it.
    assert "I'm not in #support: type `/invite @Oneness` there. 1 post waiting." in text
    assert "eve ← DM: :white_check_mark: Thanks." in text
    assert "#support ←: :raising_hand: A teammate is having a rough week" in text
    assert "DEMO FAILED" not in text
    charts = sorted(out.glob("*-oneness-*.png"))
    assert len(charts) == 8 and all(c.read_bytes()[:4] == b"\x89PNG" for c in charts)
    assert len(list(out.glob("*-oneness-Rocket-all.csv"))) == 1
    # The promise: set, asked each week, broken, owned, delivered; a customer on the page.
    assert "#team ←: :handshake: *Our promise to customers* · Rocket" in text
    assert "*Did we keep our promise this week?*" in text
    assert "you said :x: *broken* (1 time)" in text
    assert "*Kept this week:* 2 of 3 answers (67%)" in text
    assert "Remedy delivered by @bob, on time." in text
    assert "bob ← DM: :alarm_clock: The remedy you own" in text
    assert "reported by a customer on the promise page" in text
    assert "*Contact (leads only):* pat@customer.example" in text
    assert "Thank you for rating us" in text
    assert "promise answers (3 rows), broken promises (2 rows), customer ratings (2 rows)" in text
    extras = ("promise-answers", "breaks", "customer-ratings")
    assert all(len(list(out.glob(f"*-all-{name}.csv"))) == 1 for name in extras)
    if shutil.which("chromium"):
        shot = out / "promise-page.png"
        assert shot.read_bytes()[:4] == b"\x89PNG" and f"screenshot of the page: {shot}" in text
