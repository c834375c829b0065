"""The approval wait times out: the ticket ends EXPIRED, everyone concerned is told, the
old link says so, and a resume asks again with a new link (the old one stays dead)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from local_runtime.http_client import ApiClient, approval_link
from local_runtime.runtime import LocalRuntime

from .conftest import emails_for, submit_and_wait_for_link, wait_for_state

pytestmark = pytest.mark.slow

APPROVAL_TIMEOUT = 4


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalRuntime]:
    # The link outlives the wait, so a late click meets the closed request, not an expired link.
    context = {"approval_timeout_seconds": APPROVAL_TIMEOUT, "approval_link_ttl_seconds": 3600}
    with LocalRuntime(context=context) as runtime:
        yield runtime


def states_entered(stack: LocalRuntime, execution: str) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in stack.history(execution) if "stateEnteredEventDetails" in e]


def expire(api: ApiClient, stack: LocalRuntime) -> tuple[str, str, dict]:
    ticket_id, link = submit_and_wait_for_link(api)
    view = wait_for_state(api, ticket_id, {"EXPIRED"}, timeout=APPROVAL_TIMEOUT + 20)
    return ticket_id, link, view


def test_an_unanswered_request_expires_with_a_checkpoint_and_tells_approver_and_customer(
    api: ApiClient, stack: LocalRuntime
):
    ticket_id, link, view = expire(api, stack)
    assert [c["state"] for c in view["checkpoints"]][-2:] == ["AWAITING_APPROVAL", "EXPIRED"]
    assert view["step_results"] == [] and view["decision"] is None
    described = stack.wait_for_execution(ticket_id)
    assert described["status"] == "FAILED"
    assert any(e["type"] == "TaskTimedOut" for e in stack.history(ticket_id))
    # The timed-out wait goes back to the timer, which finds the whole wait spent.
    assert states_entered(stack, ticket_id)[-7:] == [
        "Approval timer",
        "Policy decides?",
        "Await approval",
        "Approval timer",
        "Policy decides?",
        "Record expiry",
        "Expired",
    ]
    (escalation,) = emails_for(api, ticket_id, "expired")
    assert set(escalation["to"]) == {"approver@example.com", "operations@example.com"}
    (customer,) = emails_for(api, ticket_id, "expired-customer")
    assert customer["to"] == ["e2e@example.com"] and "nothing was run" in customer["text"]

    late = api.post_decision(link, "approve", accept="application/json")
    assert late.status == 410 and late.json()["error"] == "approval_expired"
    assert "expired" in late.json()["message"]
    assert api.open_page(link).status == 410
    assert api.ticket(ticket_id).json()["checkpoints"] == view["checkpoints"]


def test_resuming_an_expired_ticket_asks_again_with_a_new_link_and_analyses_nothing_twice(
    api: ApiClient, stack: LocalRuntime
):
    ticket_id, old_link, expired = expire(api, stack)
    reply = api.request("POST", f"/tickets/{ticket_id}/resume")
    assert reply.status == 202, reply.text
    started = reply.json()
    assert started["resumed_from"] == "approval" and started["execution"] == f"{ticket_id}-r1"
    assert started["checkpoint_sequence"] == expired["checkpoints"][-1]["sequence"]

    wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})
    requests = emails_for(api, ticket_id, "approval-request")
    assert len(requests) == 2
    new_link = approval_link(requests[-1])
    assert new_link != old_link
    # The old link names a checkpoint that no longer waits: refused, whatever it asks.
    for decision in ("approve", "reject"):
        stale = api.post_decision(old_link, decision, accept="application/json")
        assert stale.status == 410 and stale.json()["error"] == "approval_closed"
    assert api.open_page(old_link).status == 410

    assert api.post_decision(new_link, "approve").status == 200
    view = wait_for_state(api, ticket_id, {"COMPLETED"})
    states = [c["state"] for c in view["checkpoints"]]
    assert states.count("ANALYZING") == 1 and states.count("FINDING_SOLUTION") == 1
    assert states[: len(expired["checkpoints"])] == [c["state"] for c in expired["checkpoints"]]
    assert view["analysis"] == expired["analysis"] and view["plan_hash"] == expired["plan_hash"]
    assert view["failure"] is None and view["decision"]["outcome"] == "approved"

    # Both executions belong to the ticket; the resumed one started at the approval (its timer, then the
    # wait). (COMPLETED is checkpointed a moment before the execution ends.)
    stack.wait_for_execution(f"{ticket_id}-r1")
    view = api.ticket(ticket_id).json()
    assert [(e["name"], e["status"]) for e in view["executions"]] == [
        (ticket_id, "FAILED"),
        (f"{ticket_id}-r1", "SUCCEEDED"),
    ]
    assert view["workflow"]["status"] == "SUCCEEDED"
    entered = states_entered(stack, f"{ticket_id}-r1")
    assert entered[:5] == ["Resumed?", "Resume from?", "Approval timer", "Policy decides?", "Await approval"]
    assert "Analyze issue" not in entered and "Find resolution" not in entered

    again = api.request("POST", f"/tickets/{ticket_id}/resume")
    assert again.status == 409 and again.json()["error"] == "not_resumable"
    assert "COMPLETED" in again.json()["message"]


def test_resumes_posted_at_once_start_one_execution(api: ApiClient, stack: LocalRuntime):
    ticket_id, _, _ = expire(api, stack)
    replies: list[int] = []
    lock = threading.Lock()

    def resume() -> None:
        status = api.request("POST", f"/tickets/{ticket_id}/resume").status
        with lock:
            replies.append(status)

    threads = [threading.Thread(target=resume) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 202 in replies and set(replies) <= {202, 409}, replies
    wait_for_state(api, ticket_id, {"AWAITING_APPROVAL"})
    view = api.ticket(ticket_id).json()
    assert [e["name"] for e in view["executions"]] == [ticket_id, f"{ticket_id}-r1"]
    assert len(emails_for(api, ticket_id, "approval-request")) == 2
    link = approval_link(emails_for(api, ticket_id, "approval-request")[-1])
    assert api.post_decision(link, "reject").status == 200
    assert wait_for_state(api, ticket_id, {"REJECTED"})["state"] == "REJECTED"
