"""End to end over real HTTP: the synthesized state machine on moto, the handlers in-process.

One test per path here; what links withstand (forged, foreign, expired, replayed, GET with
any headers) is held once, per attack class, in test_link_attacks.py."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urlencode, urljoin

import pytest

from .conftest import emails_for, submit_and_wait_for_link, wait_for_state

pytestmark = pytest.mark.slow


def submit_page_form(api, link: str, page: str, decision: str, comment: str):
    """Post the page's own form, as a browser would (action resolved against the page URL)."""
    action = re.search(r"<form method='post' action='([^']*)'", page).group(1)  # the first form: approve
    token = html.unescape(re.search(r"name='token' value='([^']*)'", page).group(1))
    form = urlencode({"token": token, "decision": decision, "comment": comment}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
    return api.request("POST", urljoin(link, action), form, headers)


def test_approve_path_runs_the_plan_and_completes(api, stack):
    ticket_id, link = submit_and_wait_for_link(api)
    page = api.open_page(link)
    assert page.status == 200 and "network.restart-router" in page.text and "Approve" in page.text
    decided = submit_page_form(api, link, page.text, "approve", "go")
    assert decided.status == 200 and "Approved" in decided.text
    view = wait_for_state(api, ticket_id, {"COMPLETED"})
    assert [c["state"] for c in view["checkpoints"]][:4] == [
        "ANALYZING",
        "FINDING_SOLUTION",
        "AWAITING_APPROVAL",
        "EXECUTING",
    ]
    assert view["checkpoints"][-1]["state"] == "COMPLETED"
    assert [r["action_id"] for r in view["step_results"]] == [s["action_id"] for s in view["plan"]["steps"]]
    assert view["decision"] == {
        **view["decision"],
        "outcome": "approved",
        "comment": "go",
        "plan_hash": view["plan_hash"],
    }
    assert stack.wait_for_execution(ticket_id)["status"] == "SUCCEEDED"
    assert emails_for(api, ticket_id, "completed")


def test_the_default_policy_asks_the_configured_approver_alone(api, stack):
    ticket_id, link = submit_and_wait_for_link(api, "I can't log in to the app")  # account: two admins in the example
    reply = api.post_decision(link, "approve", accept="application/json")
    assert reply.status == 200 and (reply.json()["approvals"], reply.json()["approvals_needed"]) == (1, 1)
    view = wait_for_state(api, ticket_id, {"COMPLETED"})
    assert [e["to"] for e in emails_for(api, ticket_id, "approval-request")] == [["approver@example.com"]]
    assert view["decision"]["decided_by"] == "approver@example.com" and view["decision"]["votes"] == []


def test_reject_path_runs_nothing_and_tells_the_customer(api, stack):
    ticket_id, link = submit_and_wait_for_link(api, "I can't log in to the app")
    reply = api.post_decision(link, "reject", reason="call them first", notify_customer=True)
    assert reply.status == 200
    view = wait_for_state(api, ticket_id, {"REJECTED"})
    assert view["step_results"] == [] and view["decision"]["reason"] == "call them first"
    assert stack.wait_for_execution(ticket_id)["status"] == "SUCCEEDED"
    (notice,) = emails_for(api, ticket_id, "rejected")
    assert notice["to"] == ["e2e@example.com"] and "call them first" in notice["text"]


def test_invalid_ticket_input_gets_400_and_starts_no_execution(api, stack):
    before = len(stack.sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"])
    for body in (
        b"{oops",
        json.dumps({"customer_id": "c"}).encode(),
        json.dumps({"customer_id": "c", "customer_email": "x@y.z", "description": ""}).encode(),
    ):
        reply = api.request("POST", "/tickets", body, {"Content-Type": "application/json"})
        assert reply.status == 400 and set(reply.json()) == {"error", "message"}
    after = len(stack.sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"])
    assert after == before


def test_a_second_click_after_the_decision_is_409_and_changes_nothing(api):
    ticket_id, link = submit_and_wait_for_link(api)
    assert api.post_decision(link, "approve").status == 200
    view = wait_for_state(api, ticket_id, {"COMPLETED"})
    again = api.post_decision(link, "reject", accept="application/json")
    assert again.status == 409 and again.json()["error"] == "already_decided"
    assert "already approved" in again.json()["message"]
    page = api.post_decision(link, "approve")
    assert page.status == 409 and "Already decided" in page.text
    assert api.ticket(ticket_id).json()["checkpoints"] == view["checkpoints"]


def test_the_ticket_status_never_shows_the_task_token(api):
    from ticketing.bootstrap import aws_services
    from ticketing.settings import Settings

    ticket_id, link = submit_and_wait_for_link(api)
    view = api.ticket(ticket_id).json()
    latest = aws_services(Settings.from_env()).checkpoints.history(ticket_id, view["customer_id"])[-1]
    task_token = latest.data.approval.task_token
    assert len(task_token) > 20
    for reply in (api.ticket(ticket_id), api.open_page(link)):
        assert task_token not in reply.text and "task_token" not in reply.text
    for email in emails_for(api, ticket_id, "approval-request"):
        assert task_token not in email["text"] and task_token not in email["html"]
    api.post_decision(link, "reject")


def test_a_failing_step_ends_failed_with_a_checkpoint_and_tells_operators(api, stack, monkeypatch):
    from ticketing.adapters.executors import EXECUTORS

    def misconfigured(
        _settings: object,
    ) -> None:  # as an unknown RESOLUTION_EXECUTOR would be (functions read it at start)
        raise ValueError("unknown resolution executor 'no-such-executor'")

    monkeypatch.setitem(EXECUTORS, "simulated", misconfigured)
    ticket_id, link = submit_and_wait_for_link(api)
    api.post_decision(link, "approve")
    view = wait_for_state(api, ticket_id, {"FAILED"})
    assert view["failure"]["error"] == "ValueError" and view["failure"]["failed_in"] == "AWAITING_APPROVAL"
    assert view["decision"]["outcome"] == "approved"  # who approved survives the failure
    assert "cause" not in view["failure"]
    assert stack.wait_for_execution(ticket_id)["status"] == "FAILED"
    assert emails_for(api, ticket_id, "failed")[0]["to"] == ["operations@example.com"]


def test_the_outbox_is_served_as_json_and_as_a_readable_page(api):
    ticket_id, link = submit_and_wait_for_link(api)
    (email,) = emails_for(api, ticket_id, "approval-request")
    assert set(email) >= {"message_id", "to", "subject", "text", "html", "sent_at"}
    page = api.request("GET", "/_local/mail", headers={"Accept": "text/html"})
    assert page.status == 200 and f"/_local/mail/{email['message_id']}" in page.text
    rendered = api.request("GET", f"/_local/mail/{email['message_id']}")
    assert "Review and decide" in rendered.text
    api.post_decision(link, "reject")
