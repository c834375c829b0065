"""The `supportflow` command as a newcomer runs it: `demo` and `serve`, in fresh processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from local_runtime.http_client import ApiClient

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "local_runtime.cli", *args]


def test_demo_tells_the_whole_story_and_exits_zero():
    result = subprocess.run(_command("demo"), cwd=ROOT, capture_output=True, text=True, timeout=180)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    for line in (
        "My internet connection keeps dropping every few minutes.",
        "Analysis: category network",
        "Proposed resolution:",
        "checkpoint #3 saved: AWAITING_APPROVAL",
        "Approval email to approver@example.com",
        "Approver opens the link: GET -> 200",
        "Approver drops [network.reset-adapter] before approving: resetting the adapter would wipe the VPN",
        "Approver clicks Approve: POST -> 200",
        "A second click on the same link: POST -> 409",
        "changes (round 1): dropped network.reset-adapter",
        "matches the approved plan; ran 3 steps:",
        "COMPLETED",
        "Step Functions execution history:",
        "Approver clicks Reject: POST -> 200",
        'REJECTED holds the reason: "Account changes need a call with the customer first."',
        "The reviewer's reason: Account changes need a call with the customer first.",
        "ended REJECTED",
        "Ticket 1 COMPLETED (expected COMPLETED, network.reset-adapter not run), "
        "ticket 2 REJECTED (expected REJECTED, with its reason): OK",
        "model calls 0 of at most 2 (no model is configured (MODEL_ID=none))",
    ):
        assert line in out
    assert "network.reset-adapter: succeeded" not in out  # the dropped step never ran
    # It ends with the seed's recovery step: a fresh agent, asked over HTTP, answers from memory.
    recovery = out.split("=== Recovery:", 1)[1]
    assert 'Customer asks over HTTP: "What was the issue we were working on?"' in recovery
    assert "/messages -> 200, answered by a fresh agent" in recovery
    answer = " ".join(recovery.split())
    assert "is about this issue: My internet connection keeps dropping every few minutes." in answer
    assert "Where it stands (COMPLETED)" in answer and "What happens next:" in answer
    assert "conversation -> 2 turns in AgentCore Memory" in recovery
    assert "!!" not in result.stderr  # no Node end-of-life banner


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_the_api_and_the_outbox_until_stopped():
    port = _free_port()
    process = subprocess.Popen(
        _command("serve", "--port", str(port)),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first
        api = ApiClient(f"http://127.0.0.1:{port}")
        reply = api.submit({"customer_id": "c-1", "customer_email": "c@example.com", "description": "Printer jams"})
        assert reply.status == 202
        ticket_id = reply.json()["ticket_id"]
        assert api.ticket(ticket_id).status == 200
        deadline = time.monotonic() + 20
        while not api.outbox():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert json.loads(api.request("GET", "/_local/outbox").body)[0]["to"] == ["approver@example.com"]
        assert "local outbox" in api.request("GET", "/_local/mail").text
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
