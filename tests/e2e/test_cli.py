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
    assert "approval policy policies/example.yaml" in out.splitlines()[0]
    first, second, third = (part.split("\n\n", 1)[0] for part in out.split("=== Ticket ")[1:4])
    # Ticket 1 (network): both support leads are asked; one drops a step and approves, which decides.
    for line in (
        "My internet connection keeps dropping every few minutes.",
        "Analysis: category network",
        "Proposed resolution:",
        "checkpoint #3 saved: AWAITING_APPROVAL",
        "Plan risk medium (its riskiest action, [network.restart-router]:",
        "Policy policies/example.yaml: first matching rule 'everything else' -> group support-leads, "
        "one approval decides",
        "2 approval emails, one per approver:",
        "to lee.lead@example.com: http",
        "to kim.lead@example.com: http",
        "lee.lead@example.com opens their link: GET -> 200",
        "lee.lead@example.com drops [network.reset-adapter] before approving: resetting the adapter would wipe the VPN",
        "lee.lead@example.com clicks Approve: POST -> 200 decided: approved by lee.lead@example.com",
        "(a second click on the same link): POST -> 409 This ticket was already approved",
        "kim.lead@example.com clicks Reject on their own link, too late: POST -> 409",
        "changes (round 1): dropped network.reset-adapter",
        "matches the approved plan; ran 3 steps:",
        # The catalog's executors, against moto: a Run Command on the customer's tagged instance.
        "network.check-connection-status: succeeded by the device executor (Run Command supportflow-local-",
        "network.restart-router: succeeded by the simulated executor",
        "is AWAITING_CONFIRMATION",
        # The seed's end: the customer confirms, once; the ticket closes.
        "cust-1001 opens it: GET -> 200, the steps that ran; ticket still AWAITING_CONFIRMATION",
        'cust-1001 clicks "Yes, it works" with "the connection seems stable now": POST -> 200',
        "The same click again: POST -> 409 already_answered",
        "ended CLOSED: Closed: the customer confirmed",
        "Step Functions execution history:",
        "model calls 0 of at most 2 (no model is configured (MODEL_ID=none))",
    ):
        assert line in first, line
    assert "network.reset-adapter: succeeded" not in first  # the dropped step never ran
    # Ticket 2 (account): two account admins; the first approval waits, a repeat is refused, the second decides.
    for line in (
        "Analysis: category account",
        "Plan risk high (its riskiest action, [account.unlock-account]:",
        "first matching rule 'account changes' -> group account-admins, 2 distinct approvals needed",
        "to alex.admin@example.com: http",
        "to sam.admin@example.com: http",
        "alex.admin@example.com clicks Approve: POST -> 200 vote recorded, 1 of 2 approvals; still waiting",
        "Ticket still AWAITING_APPROVAL: the policy asks for a second admin",
        "alex.admin@example.com clicks Approve again: POST -> 409 You already approved this plan",
        "sam.admin@example.com clicks Approve: POST -> 200 decided: approved by sam.admin@example.com "
        "(2 of 2 approvals)",
        "checkpoint #4 saved: EXECUTING (approved by sam.admin@example.com)",
        "The decision rests on 2 votes (AgentCore Memory events, one per approver): "
        "alex.admin@example.com approved; sam.admin@example.com approved",
        "matches the approved plan; ran 5 steps:",
        "account.reset-password: succeeded by the identity executor (Sent user cust-2002 a password reset",
        'cust-2002 clicks "No, it still happens" with "I still cannot sign in: the reset email never arrived.": '
        "POST -> 200",
        "saved: REOPENED (the customer answered reopened)",
        "sam.admin@example.com clicks Approve the reopened ticket's plan: POST -> 200",
        'cust-2002 clicks "Yes, it works" with "I can sign in now, thanks": POST -> 200',
        "ended CLOSED: Closed: the customer confirmed",
    ):
        assert line in second, line
    assert second.count("checkpoint #4 saved") == 1  # one resume
    # Ticket 3 (account): one admin's rejection rejects; the other admin's link is then refused.
    for line in (
        "Analysis: category account",
        "2 distinct approvals needed",
        "alex.admin@example.com clicks Reject: POST -> 200 decided: rejected by alex.admin@example.com",
        "checkpoint #4 saved: REJECTED (rejected by alex.admin@example.com)",
        "sam.admin@example.com clicks Approve on their own link, after the rejection: POST -> 409 "
        "This ticket was already rejected",
        'REJECTED holds the reason: "Account changes need a call with the customer first."',
        "The reviewer's reason: Account changes need a call with the customer first.",
        "ended REJECTED",
    ):
        assert line in third, line
    assert (
        "Ticket 1 CLOSED (expected CLOSED after 'Yes, it works', network.reset-adapter not run), ticket 2 CLOSED "
        "(expected CLOSED after 1 of 2 waited, a repeat vote got 409, 2 of 2 approved, the customer reopened it and "
        "confirmed the second plan), ticket 3 REJECTED (expected REJECTED by one admin, with its reason): OK"
    ) in out
    # It ends with the seed's recovery step: a fresh agent, asked over HTTP, answers from memory.
    recovery = out.split("=== Recovery:", 1)[1]
    assert 'Customer asks over HTTP: "What was the issue we were working on?"' in recovery
    assert "/messages -> 200, answered by a fresh agent" in recovery
    answer = " ".join(recovery.split())
    assert "is about this issue: My internet connection keeps dropping every few minutes." in answer
    assert "Where it stands (CLOSED)" in answer and "What happens next:" in answer
    assert "conversation -> 2 turns in AgentCore Memory" in recovery
    assert "!!" not in result.stderr  # no Node end-of-life banner


def test_serve_refuses_a_bad_policy_with_a_sentence_naming_the_field(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("groups:\n  leads: [lee@example.com]\nrules:\n  - name: all\n    group: admins\n")
    result = subprocess.run(
        _command("serve", "--port", str(_free_port()), "--policy", policy.name),
        cwd=tmp_path,  # a path relative to where the command runs
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "functions"), str(ROOT)])},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "supportflow: The approval policy policy.yaml is not valid: rules[0] ('all').group: "
        "no group named 'admins'; groups: ['leads']."
    )


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
