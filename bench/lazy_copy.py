"""What Bolt's lazy-listener hand-off costs a request, beside what parsing it costs.

    .venv/bin/python bench/lazy_copy.py [--runs N]

Before a lazy function is handed to the lazy-listener runner, Bolt copies the request
(`request.to_copyable()`, which parses an HTTP body again, then a deep copy). This times that
copy for a score click as the local Slack sends it (a block_actions payload carrying the prompt
it was clicked on, 5.5 kB), beside the floor of building the request once (what every
acknowledgement pays anyway), and beside `json.dumps` of the parsed body (what storing it as
a job row costs). One thread, no I/O; the medians of `--runs` rounds of 1,000.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from slack_bolt import BoltRequest
from slack_bolt.util.utils import create_copy

HEADERS = {"content-type": "application/x-www-form-urlencoded"}


def score_click_body() -> str:
    """A score click on a weekly prompt, shaped as Slack sends it."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": f"b{i}", "text": {"type": "mrkdwn", "text": "x" * 200}}
        for i in range(8)
    ]
    buttons = [
        {
            "type": "button",
            "action_id": f"checkin_score_{i}",
            "text": {"type": "plain_text", "text": str(i)},
            "value": f"12:{i}",
        }
        for i in range(1, 11)
    ]
    blocks.append({"type": "actions", "block_id": "scores", "elements": buttons})
    payload = {
        "type": "block_actions",
        "user": {"id": "UANN", "name": "ann"},
        "api_app_id": "A1",
        "token": "t",
        "container": {"type": "message", "message_ts": "1.2", "channel_id": "D1"},
        "trigger_id": "1.2.3",
        "team": {"id": "T1", "domain": "x"},
        "channel": {"id": "D1", "name": "directmessage"},
        "state": {"values": {}},
        "response_url": "http://127.0.0.1:1/response",
        "actions": [{"action_id": "checkin_score_7", "block_id": "scores", "value": "12:7"}],
        "message": {"ts": "1.2", "text": "Your weekly check-in", "blocks": blocks},
    }
    return urlencode({"payload": json.dumps(payload)})


def per_call_ms(fn: Callable[[], object], runs: int, calls: int = 1000) -> float:
    """Median over `runs` rounds of the mean time of one call, in milliseconds."""
    rounds = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        rounds.append((time.perf_counter() - start) / calls * 1000)
    return statistics.median(rounds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    body = score_click_body()
    request = BoltRequest(body=body, headers=HEADERS)
    floor = per_call_ms(lambda: BoltRequest(body=body, headers=HEADERS), args.runs)
    copy = per_call_ms(lambda: create_copy(request.to_copyable()), args.runs)
    dumps = per_call_ms(lambda: json.dumps(request.body, separators=(",", ":")), args.runs)
    print(f"body_bytes: {len(body)}")
    print(f"floor_parse_request_ms: {floor:.3f}")
    print(f"lazy_handoff_copy_ms: {copy:.3f}")
    print(f"job_body_json_ms: {dumps:.3f}")
    print(f"copy_over_floor: {copy / floor:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
