"""The approver's review end to end over HTTP (issue 11): approve with edits, send back, reject with a reason.

One stack for the module, with two review rounds, so one revision reaches the last round.
Without a model (pinned here), a revision proposes the approver's edited steps for the next round.
The edit rules, rounds and stale links are each held on fakes (tests/logic/test_review.py,
tests/unit/test_plan_edits.py); here each path is walked once through the real state machine.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from local_runtime.http_client import ApiClient, Reply, approval_link
from local_runtime.runtime import LocalRuntime
from ticketing.domain.models import ResolutionPlan
from ticketing.domain.notifications import NEUTRAL_REJECTION

from .conftest import emails_for, submit_and_wait_for_link, wait_for_state

pytestmark = pytest.mark.slow

MAX_ROUNDS = 2
PROPOSED_NETWORK = [
    "network.check-connection-status",
    "network.restart-router",
    "network.reset-adapter",
    "network.check-isp-outage",
]


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalRuntime]:
    with LocalRuntime(context={"max_approval_rounds": MAX_ROUNDS, "model_id": "none"}) as runtime:
        yield runtime


def decide_json(api: ApiClient, link: str, body: dict[str, Any]) -> Reply:
    """POST a decision as JSON through the link's route, with the link's token."""
    parts = urlsplit(link)
    token = parts.query.removeprefix("token=")
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    return api.request("POST", parts.path, json.dumps({"token": token, **body}).encode(), headers)


def pending(api: ApiClient, link: str) -> Reply:
    return api.request("GET", link, headers={"Accept": "application/json"})


def wait_for_emails(api: ApiClient, ticket_id: str, kind: str, count: int = 1) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while len(found := emails_for(api, ticket_id, kind)) < count:
        assert time.monotonic() < deadline, f"{len(found)} {kind} emails for {ticket_id}, expected {count}"
        time.sleep(0.02)
    return found


def states_entered(stack: LocalRuntime, ticket_id: str) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"] for e in stack.history(ticket_id) if e["type"].endswith("StateEntered")
    ]


def listed_action_ids(text: str) -> list[str]:
    """The action ids an email lists, in order (each step reads `N. Title [action.id]`)."""
    return re.findall(r"^\s+\d+\. .+ \[([a-z]+\.[a-z-]+)\]$", text, flags=re.MULTILINE)


def test_an_approval_with_a_step_dropped_and_two_swapped_runs_exactly_those_steps_in_that_order(api, stack):
    ticket_id, link = submit_and_wait_for_link(api)
    assert api.ticket(ticket_id).json()["plan"]["source"] == "catalog"
    edited = ["network.restart-router", "network.check-connection-status", "network.check-isp-outage"]

    decided = api.post_decision(link, "approve", "Adapter reset loses their VPN config.", steps=edited)
    assert decided.status == 200, decided.text

    view = wait_for_state(api, ticket_id, {"COMPLETED"})
    assert [s["action_id"] for s in view["plan"]["steps"]] == PROPOSED_NETWORK  # the proposal stays on record
    assert [s["action_id"] for s in view["approved_plan"]["steps"]] == edited
    assert [r["action_id"] for r in view["step_results"]] == edited
    assert {r["status"] for r in view["step_results"]} == {"succeeded"}
    assert view["decision"]["plan_hash"] == ResolutionPlan.model_validate(view["approved_plan"]).plan_hash
    assert view["decision"]["plan_hash"] != view["plan_hash"]
    (review_round,) = view["rounds"]
    assert review_round["number"] == 1 and review_round["outcome"] == "approved"
    assert [s["action_id"] for s in review_round["proposed_plan"]["steps"]] == PROPOSED_NETWORK
    assert review_round["changes"] == {
        "dropped": ["network.reset-adapter"],
        "added": [],
        "moved": ["network.restart-router", "network.check-connection-status"],
        "noted": [],
    }

    stack.wait_for_execution(ticket_id)  # the completion email is sent before the execution ends
    (approved,) = emails_for(api, ticket_id, "approved")
    assert approved["to"] == ["e2e@example.com"]
    assert listed_action_ids(approved["text"]) == edited
    (completed,) = emails_for(api, ticket_id, "completed")
    titles = [s["title"] for s in view["approved_plan"]["steps"]]
    outcomes = re.findall(r"^\s+\d+\. (.+?): (\w+)\. ", completed["text"], flags=re.MULTILINE)
    assert outcomes == [(title, "succeeded") for title in titles]
    assert "Reset the network adapter" not in completed["text"]


def test_sending_the_plan_back_then_approving_runs_the_second_rounds_plan(api, stack):
    ticket_id, first_link = submit_and_wait_for_link(api)
    requested = [
        "general.gather-details",
        "network.check-connection-status",
        "network.restart-router",
        "network.reset-adapter",
    ]
    feedback = "Ask for details first; no outage check."
    sent_back = api.post_decision(first_link, "revise", feedback=feedback, steps=requested)
    assert sent_back.status == 200, sent_back.text

    first_email, second_email = wait_for_emails(api, ticket_id, "approval-request", 2)
    assert f"round 2 of {MAX_ROUNDS}" in second_email["subject"]
    assert feedback in second_email["text"]
    second_link = approval_link(second_email)
    assert second_link != approval_link(first_email)
    view = wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})
    # Without a model, the second round proposes exactly the steps the approver asked for.
    assert [s["action_id"] for s in view["plan"]["steps"]] == requested and view["plan"]["source"] == "reviewer"
    assert view["approval"]["round"] == 2

    for stale in (pending(api, first_link), decide_json(api, first_link, {"decision": "approve"})):
        assert stale.status == 410, stale.text
        assert stale.json()["error"] == "approval_closed" and "most recent email" in stale.json()["message"]
    assert "most recent email" in api.open_page(first_link).text

    assert api.post_decision(second_link, "approve").status == 200
    view = wait_for_state(api, ticket_id, {"COMPLETED"})
    assert [r["action_id"] for r in view["step_results"]] == requested
    assert [s["action_id"] for s in view["approved_plan"]["steps"]] == requested
    first, second = view["rounds"]
    assert (first["number"], first["outcome"], [s["action_id"] for s in first["proposed_plan"]["steps"]]) == (
        1,
        "changes_requested",
        PROPOSED_NETWORK,
    )
    assert first["feedback"] == feedback
    assert first["changes"]["dropped"] == ["network.check-isp-outage"]
    assert first["changes"]["added"] == ["general.gather-details"]
    assert (second["number"], second["outcome"], [s["action_id"] for s in second["proposed_plan"]["steps"]]) == (
        2,
        "approved",
        requested,
    )

    assert stack.wait_for_execution(ticket_id)["status"] == "SUCCEEDED"
    assert states_entered(stack, ticket_id) == [
        "Resumed?",
        "Analyze issue",
        "Find resolution",
        "Approval timer",
        "Policy decides?",
        "Await approval",
        "Approved?",
        "Revise plan",
        "Approval timer",
        "Policy decides?",
        "Await approval",
        "Approved?",
        "Execute resolution",
        "Completed",
    ]


INVALID_EDITS = [
    ({"decision": "approve", "steps": ["network.reboot-the-moon"]}, "network.reboot-the-moon"),
    ({"decision": "approve", "steps": ["network.restart-router", "account.reset-password"]}, "account.reset-password"),
    ({"decision": "approve", "steps": ["network.restart-router", "network.restart-router"]}, "appears twice"),
    ({"decision": "approve", "steps": []}, "at least one step"),
    ({"decision": "approve", "steps": PROPOSED_NETWORK + ["general.gather-details"] * 3}, "at most 6"),
    ({"decision": "approve", "steps": ["network.restart-router"], "notes": {"network.reset-adapter": "x"}}, "note"),
    ({"decision": "revise", "feedback": "Reset their password.", "steps": ["account.reset-password"]}, "account."),
]


def test_an_invalid_edit_is_400_and_changes_nothing(api, stack):
    ticket_id, link = submit_and_wait_for_link(api)
    before = api.ticket(ticket_id).json()
    emails_before = [e for e in api.outbox() if ticket_id in e["subject"]]

    for body, named in INVALID_EDITS:
        reply = decide_json(api, link, body)
        assert reply.status == 400, (body, reply.text)
        assert reply.json()["error"] == "invalid_plan_edit" and named in reply.json()["message"], body
    form = api.post_decision(link, "approve", steps=["hardware.schedule-repair"], accept="application/json")
    assert form.status == 400 and form.json()["error"] == "invalid_plan_edit"

    after = api.ticket(ticket_id).json()
    assert after["checkpoints"] == before["checkpoints"] and after["rounds"] == []
    assert [e for e in api.outbox() if ticket_id in e["subject"]] == emails_before
    assert pending(api, link).status == 200  # the link still decides
    assert api.post_decision(link, "approve").status == 200
    view = wait_for_state(api, ticket_id, {"COMPLETED"})
    assert [r["action_id"] for r in view["step_results"]] == PROPOSED_NETWORK


def test_the_last_round_offers_only_approve_and_reject_and_refuses_a_revision(api, stack):
    ticket_id, first_link = submit_and_wait_for_link(api)
    first = pending(api, first_link).json()
    assert (first["round"], first["max_rounds"]) == (1, MAX_ROUNDS)
    assert first["decisions"] == ["approve", "reject", "revise"]
    assert api.post_decision(first_link, "revise", feedback="Try again.").status == 200

    last_link = approval_link(wait_for_emails(api, ticket_id, "approval-request", 2)[-1])
    last = pending(api, last_link).json()
    assert (last["round"], last["max_rounds"], last["decisions"]) == (MAX_ROUNDS, MAX_ROUNDS, ["approve", "reject"])
    page = api.open_page(last_link).text
    assert "value='approve'" in page and "value='reject'" in page and "value='revise'" not in page
    before = api.ticket(ticket_id).json()["checkpoints"]
    emails_before = [e for e in api.outbox() if ticket_id in e["subject"]]

    refused = decide_json(api, last_link, {"decision": "revise", "feedback": "Once more."})
    assert refused.status == 409, refused.text
    assert refused.json()["error"] == "revision_limit_reached" and "approve" in refused.json()["message"]
    assert api.ticket(ticket_id).json()["checkpoints"] == before
    assert [e for e in api.outbox() if ticket_id in e["subject"]] == emails_before

    assert api.post_decision(last_link, "reject", reason="Two rounds did not find a plan.").status == 200
    view = wait_for_state(api, ticket_id, {"REJECTED"})
    assert [r["outcome"] for r in view["rounds"]] == ["changes_requested", "rejected"]
    assert view["step_results"] == []


def test_a_rejection_reason_reaches_the_customer_only_when_the_approver_says_so(api, stack):
    told_id, told_link = submit_and_wait_for_link(api, "I can't log in to the app")
    untold_id, untold_link = submit_and_wait_for_link(api, "I can't log in to the app")
    told = "We need to confirm your identity by phone first."
    kept = "The account is under a fraud review."

    assert api.post_decision(told_link, "reject", reason=told, notify_customer=True).status == 200  # a form
    assert decide_json(api, untold_link, {"decision": "reject", "reason": kept}).status == 200  # JSON, default false

    for ticket_id, reason, notified in ((told_id, told, True), (untold_id, kept, False)):
        view = wait_for_state(api, ticket_id, {"REJECTED"})
        assert (view["decision"]["reason"], view["decision"]["notify_customer"]) == (reason, notified)
        assert view["step_results"] == []
        stack.wait_for_execution(ticket_id)  # the notice is sent before the execution ends
    (told_notice,) = emails_for(api, told_id, "rejected")
    (untold_notice,) = emails_for(api, untold_id, "rejected")
    assert told in told_notice["text"] and told in told_notice["html"] and NEUTRAL_REJECTION not in told_notice["text"]
    assert NEUTRAL_REJECTION in untold_notice["text"] and NEUTRAL_REJECTION in untold_notice["html"]
    assert kept not in untold_notice["text"] and kept not in untold_notice["html"]
