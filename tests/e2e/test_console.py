"""The operator's console and `supportflow tickets` / `show`, against a running local stack over HTTP."""

from __future__ import annotations

import json
import re
import socket

import pytest

from local_runtime import cli
from local_runtime.console.data import HIDDEN_TOKEN
from local_runtime.http_client import ApiClient
from local_runtime.runtime import LocalRuntime

from .conftest import submit_and_wait_for_link

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def waiting(stack: LocalRuntime) -> str:
    """A ticket waiting for its approver (the description carries markup, which must stay text)."""
    ticket_id, _ = submit_and_wait_for_link(
        ApiClient(stack.base_url), "My wifi keeps dropping <script>alert(1)</script> every few minutes."
    )
    return ticket_id


def test_the_list_shows_the_waiting_ticket_and_what_it_waits_on(api: ApiClient, waiting: str) -> None:
    page = api.request("GET", "/_local/console")
    assert page.status == 200 and "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert f"<tr data-ticket='{waiting}'>" in page.text and "<script>alert(1)" not in page.text
    listed = api.request("GET", "/_local/console/tickets.json?state=AWAITING_APPROVAL").json()["tickets"]
    row = next(t for t in listed if t["ticket_id"] == waiting)
    assert (row["state"], row["category"], row["waits_on"]) == (
        "AWAITING_APPROVAL",
        "network",
        "approver: approver@example.com",
    )
    completed = api.request("GET", "/_local/console/tickets.json?state=COMPLETED").json()["tickets"]
    assert waiting not in [t["ticket_id"] for t in completed]
    refused = api.request("GET", "/_local/console/tickets.json?state=NOPE")
    assert refused.status == 400 and refused.json()["error"] == "invalid_state"


def test_the_ticket_page_lights_the_state_it_waits_in_and_names_the_step_of_each_checkpoint(
    api: ApiClient, waiting: str
) -> None:
    page = api.request("GET", f"/_local/console/tickets/{waiting}")
    assert page.status == 200
    current = re.findall(r"<g class='state [a-z]+ current[^']*' id='[^']*' data-state='([^']*)'", page.text)
    assert current == ["Await approval"]
    data = api.request("GET", f"/_local/console/tickets/{waiting}.json").json()
    assert data["current_state"] == "Await approval"
    assert [(c["state"], c["written_by"], c["execution"]) for c in data["checkpoints"]] == [
        ("ANALYZING", "Analyze issue", waiting),
        ("FINDING_SOLUTION", "Find resolution", waiting),
        ("AWAITING_APPROVAL", "Await approval", waiting),
    ]
    assert [s["name"] for s in data["executions"][0]["states"]][-1] == "Await approval"
    assert data["checkpoints"][-1]["data"]["approval"]["task_token"] == HIDDEN_TOKEN
    assert "task_token" not in json.dumps(data["ticket"])
    assert [e["kind"] for e in data["emails"]] == ["approval-request"]
    missing = api.request("GET", "/_local/console/tickets/tkt-20261125-000000000000")
    assert missing.status == 404


def test_the_approval_page_is_shown_read_only(api: ApiClient, waiting: str) -> None:
    page = api.request("GET", f"/_local/console/tickets/{waiting}/approval")
    assert page.status == 200 and "form-action 'none'" in page.headers["Content-Security-Policy"]
    assert "<fieldset disabled class='read-only'>" in page.text and "id='read-only'" in page.text
    assert "name='token'" not in page.text
    assert "href='?token=" not in page.text  # no move links: they carry a token
    assert "<script>alert(1)" not in page.text


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_supportflow_tickets_lists_the_stack_as_a_table(
    stack: LocalRuntime, waiting: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "tickets", "--url", stack.base_url)
    header, *rows = out.splitlines()
    assert code == 0 and header.split()[:3] == ["TICKET", "CUSTOMER", "STATE"]
    row = next(r for r in rows if r.startswith(waiting))
    assert "AWAITING_APPROVAL" in row and "approver: approver@example.com" in row
    code, out, _ = run(capsys, "tickets", "--url", stack.base_url, "--state", "COMPLETED")
    assert code == 0 and waiting not in out
    code, _, err = run(capsys, "tickets", "--url", stack.base_url, "--state", "NOPE")
    assert code == 2 and "unknown state 'NOPE'" in err


def test_supportflow_show_prints_the_trail_and_the_history(
    stack: LocalRuntime, waiting: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "show", waiting, "--url", stack.base_url)
    lines = out.splitlines()
    assert code == 0 and lines[0] == f"Ticket {waiting}: AWAITING_APPROVAL"
    assert "Checkpoint trail (AgentCore Memory):" in lines and "Step Functions execution history:" in lines
    assert [line.split()[1] for line in lines if line.startswith("  #")] == [
        "ANALYZING",
        "FINDING_SOLUTION",
        "AWAITING_APPROVAL",
    ]
    assert any("Await approval" in line and "(now)" in line for line in lines)
    code, _, err = run(capsys, "show", "tkt-20261125-000000000000", "--url", stack.base_url)
    assert code == 1 and "no ticket 'tkt-20261125-000000000000'" in err


def test_the_commands_say_when_no_stack_answers(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, out, err = run(capsys, "tickets", "--url", f"http://127.0.0.1:{port}")
    assert code == 2 and out == "" and "no local stack answers at" in err and "supportflow serve" in err
