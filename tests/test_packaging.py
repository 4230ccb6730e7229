"""The bot's wheel holds the bot and nothing else: no tests, no benchmarks, no local Slack or
demo (they are a distribution of their own, localslack/)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_holds_no_test_or_demo_code(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("oneness-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {"bot", "handlers", "storage"} <= top
    assert not top & {"tests", "bench", "localslack", "docs"}, top
    assert not [n for n in names if "demo" in n or "/test_" in n], names
    # What `oneness db upgrade` needs ships with it.
    assert any(n.startswith("storage/migrations/versions/0001") for n in names)
