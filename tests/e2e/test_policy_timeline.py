"""Reminders, escalation and the policy's own approvals end to end over HTTP, with short timings.

The approval wait lasts `WAIT` seconds here. The state machine runs the policy's timeline:
Approval timer says how long Await approval waits (its `TimeoutSecondsPath`) and what is
due now; a timed-out wait comes back to the timer, which sends the reminder or the
escalation through the next Await approval, or ends the ticket EXPIRED.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from local_runtime.http_client import ApiClient, Reply, approval_link
from local_runtime.runtime import LocalRuntime

from .conftest import emails_for, wait_for_state

pytestmark = pytest.mark.slow

WAIT = 8
REMIND_AT = WAIT * 0.25
ESCALATE_AT = WAIT * 0.5
LEADS = ("lee.lead@example.com", "kim.lead@example.com")
MANAGER = "max.manager@example.com"
ADMIN = "alex.admin@example.com"
NETWORK_ISSUE = "My wifi keeps dropping every few minutes."
HARDWARE_ISSUE = "My laptop screen flickers and the keyboard stopped working."
ACCOUNT_ISSUE = "I can't log in to the app; it says my password is wrong."
GENERAL_QUESTION = "How do I change my notification settings?"
URGENT_QUESTION = "Urgent: how do I change my notification settings? Everyone is affected."

POLICY = f"""\
version: 1
groups:
  leads: [{", ".join(LEADS)}]
  managers: [{MANAGER}]
  admins: [{ADMIN}]
rules:
  - name: general questions
    match: {{categories: [general], severities: [low, medium]}}
    group: leads
    auto_approve_low_risk: true
  - name: urgent questions
    match: {{categories: [general]}}
    group: leads
  - name: hardware
    match: {{categories: [hardware]}}
    group: leads
    approvals: 2
    escalation: [{{after: "50%", group: managers}}]
  - name: account
    match: {{categories: [account]}}
    group: admins
    escalation: [{{after: "50%", group: managers}}]
    earlier_links_stay_valid: false
  - name: everything else
    group: leads
    approvals: 2
    remind_after: "25%"
    escalation: [{{after: "50%", group: managers}}]
    auto_approve_low_risk: true
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    policy = tmp_path_factory.mktemp("policy") / "timeline.yaml"
    policy.write_text(POLICY)
    # The links outlive the wait, so a click after it meets the closed request, not an expired link.
    context = {"approval_policy": str(policy), "approval_timeout_seconds": WAIT, "approval_link_ttl_seconds": 3600}
    with LocalRuntime(context=context) as runtime:
        yield runtime


def submit(api: ApiClient, description: str) -> str:
    reply = api.submit({"customer_id": "cust-timeline", "customer_email": "t@example.com", "description": description})
    assert reply.status == 202, reply.text
    ticket_id: str = reply.json()["ticket_id"]
    return ticket_id


def wait_for_emails(
    api: ApiClient,
    ticket_id: str,
    count: int,
    *,
    subject: str = "",
    kind: str = "approval-request",
    timeout: float = 10,
) -> list[dict[str, Any]]:
    """The ticket's emails of `kind` whose subject starts with `subject`, once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while len(found := [e for e in emails_for(api, ticket_id, kind) if e["subject"].startswith(subject)]) < count:
        assert time.monotonic() < deadline, f"{len(found)} of {count} {kind} emails: {[e['to'] for e in found]}"
        time.sleep(0.05)
    return found


def links_by_approver(emails: list[dict[str, Any]]) -> dict[str, str]:
    assert all(len(e["to"]) == 1 for e in emails)  # one email each, to them alone
    return {e["to"][0]: approval_link(e) for e in emails}


def approver_of(link: str) -> str:
    """The approver the link's signed claims name (read, not verified: the API verifies them)."""
    payload = link.split("token=", 1)[1].split(".", 1)[0]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["approver"])


def vote(api: ApiClient, link: str, decision: str = "approve", **fields: Any) -> Reply:
    return api.post_decision(link, decision, accept="application/json", **fields)


def states_entered(stack: LocalRuntime, execution: str) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in stack.history(execution) if "stateEnteredEventDetails" in e]


def seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


# One wait for a decision, as the state machine runs it: the timer, its choice, the wait.
TIMED_WAIT = ["Approval timer", "Policy decides?", "Await approval"]


def test_a_reminder_goes_once_at_its_share_of_the_wait_to_those_who_have_not_answered(
    api: ApiClient, stack: LocalRuntime
) -> None:
    ticket_id = submit(api, NETWORK_ISSUE)
    links = links_by_approver(wait_for_emails(api, ticket_id, 2))
    assert sorted(links) == sorted(LEADS)
    lee, kim = LEADS
    first = vote(api, links[lee])
    assert first.status == 200 and (first.json()["approvals"], first.json()["approvals_needed"]) == (1, 2)

    (reminder,) = wait_for_emails(api, ticket_id, 1, kind="approval-reminder", timeout=WAIT)
    assert reminder["to"] == [kim] and reminder["subject"].startswith("Reminder: ")
    view = api.ticket(ticket_id).json()
    assert view["state"] == "AWAITING_APPROVAL"
    # Its rule would approve an all-low-risk plan itself; this plan has a medium-risk step, so people decide.
    assert (view["approval"]["rule"], view["approval"]["plan_risk"]) == ("everything else", "medium")
    waits = [c for c in view["checkpoints"] if c["state"] == "AWAITING_APPROVAL"]
    assert len(waits) == 2  # the request's checkpoint, then the reminder's
    reminded_after = seconds_between(view["approval"]["requested_at"], waits[-1]["created_at"])
    assert REMIND_AT - 0.5 <= reminded_after < ESCALATE_AT, reminded_after  # after its share, before the next step
    assert states_entered(stack, ticket_id)[-6:] == TIMED_WAIT * 2  # the first wait timed out into the timer

    # The link from Kim's first email still decides, though the reminder wrote a newer checkpoint.
    second = vote(api, links[kim])
    assert second.status == 200, second.text
    assert second.json()["decision"]["decided_by"] == kim
    done = wait_for_state(api, ticket_id, {"COMPLETED"})
    assert sorted(v["approver"] for v in done["decision"]["votes"]) == sorted(LEADS)
    assert len(emails_for(api, ticket_id, "approval-reminder")) == 1
    assert not [e for e in emails_for(api, ticket_id, "approval-request") if e["subject"].startswith("Escalated: ")]


def test_escalation_asks_the_next_group_with_links_of_their_own_and_the_first_links_stay_good(
    api: ApiClient, stack: LocalRuntime
) -> None:
    ticket_id = submit(api, HARDWARE_ISSUE)
    first_links = links_by_approver(wait_for_emails(api, ticket_id, 2))
    escalated = wait_for_emails(api, ticket_id, 1, subject="Escalated: ", timeout=WAIT)
    manager_links = links_by_approver(escalated)
    assert list(manager_links) == [MANAGER] and approver_of(manager_links[MANAGER]) == MANAGER
    view = api.ticket(ticket_id).json()
    assert view["approval"]["approvers"] == [*LEADS, MANAGER]  # who was asked, the escalation included
    escalated_after = seconds_between(
        view["approval"]["requested_at"],
        [c for c in view["checkpoints"] if c["state"] == "AWAITING_APPROVAL"][-1]["created_at"],
    )
    assert ESCALATE_AT - 0.5 <= escalated_after < WAIT - 1, escalated_after

    lead = vote(api, first_links[LEADS[0]])  # earlier links stay valid by default
    assert lead.status == 200 and lead.json()["approvals"] == 1, lead.text
    manager = vote(api, manager_links[MANAGER])
    assert manager.status == 200, manager.text
    assert manager.json()["decision"]["decided_by"] == MANAGER
    done = wait_for_state(api, ticket_id, {"COMPLETED"})
    assert [v["approver"] for v in done["decision"]["votes"]] == [LEADS[0], MANAGER]
    assert len(emails_for(api, ticket_id, "approval-request")) == 3  # two first links, one escalation


def test_an_escalation_that_replaces_the_links_leaves_the_first_group_without_a_say(
    api: ApiClient, stack: LocalRuntime
) -> None:
    ticket_id = submit(api, ACCOUNT_ISSUE)
    (admin_link,) = links_by_approver(wait_for_emails(api, ticket_id, 1)).values()
    (escalated,) = wait_for_emails(api, ticket_id, 1, subject="Escalated: ", timeout=WAIT)
    assert escalated["to"] == [MANAGER]
    before = api.ticket(ticket_id).json()["checkpoints"]

    refused = vote(api, admin_link)
    assert refused.status == 403 and refused.json()["error"] == "approval_link_invalid", refused.text
    assert api.open_page(admin_link).status == 403  # nor does it show a page to decide on
    assert api.ticket(ticket_id).json()["checkpoints"] == before  # nothing changed

    manager = vote(api, approval_link(escalated), comment="Covering for Alex.")
    assert manager.status == 200 and manager.json()["decision"]["decided_by"] == MANAGER, manager.text
    assert wait_for_state(api, ticket_id, {"COMPLETED"})["decision"]["decided_by"] == MANAGER


def test_the_policy_approves_an_all_low_risk_plan_itself_only_where_its_rule_allows(
    api: ApiClient, stack: LocalRuntime
) -> None:
    from ticketing.domain.catalog import load_catalog  # imported once the stack set the functions' environment

    risks = load_catalog().risks()
    question, urgent = submit(api, GENERAL_QUESTION), submit(api, URGENT_QUESTION)

    done = wait_for_state(api, question, {"COMPLETED", "FAILED", "EXPIRED"})
    assert done["state"] == "COMPLETED"
    assert {risks[s["action_id"]].risk.value for s in done["plan"]["steps"]} == {"low"}
    assert done["decision"]["outcome"] == "approved"
    assert done["decision"]["decided_by"] == "policy:general questions"  # recorded as the policy's, not a person's
    assert done["approval"]["plan_risk"] == "low"
    assert emails_for(api, question, "approval-request") == []
    entered = states_entered(stack, question)
    assert entered[entered.index("Approval timer") :][:4] == [
        "Approval timer",
        "Policy decides?",
        "Approved by policy",
        "Approved?",
    ]
    assert "Await approval" not in entered

    # The same kind of plan under a rule that does not say so waits for a person.
    (lead_link, _) = links_by_approver(wait_for_emails(api, urgent, 2)).values()
    waiting = api.ticket(urgent).json()
    assert waiting["state"] == "AWAITING_APPROVAL" and waiting["approval"]["rule"] == "urgent questions"
    assert {risks[s["action_id"]].risk.value for s in waiting["plan"]["steps"]} == {"low"}
    assert vote(api, lead_link, "reject", reason="Call the customer.").status == 200
    wait_for_state(api, urgent, {"REJECTED"})


def test_nobody_answering_gets_one_reminder_one_escalation_then_expired(api: ApiClient, stack: LocalRuntime) -> None:
    ticket_id = submit(api, NETWORK_ISSUE)
    first_links = links_by_approver(wait_for_emails(api, ticket_id, 2))
    view = wait_for_state(api, ticket_id, {"EXPIRED"}, timeout=WAIT + 10)

    reminders = emails_for(api, ticket_id, "approval-reminder")
    assert sorted(e["to"][0] for e in reminders) == sorted(LEADS)  # once each, to everyone (nobody answered)
    requests = emails_for(api, ticket_id, "approval-request")
    assert [e["to"] for e in requests if e["subject"].startswith("Escalated: ")] == [[MANAGER]]
    assert len(emails_for(api, ticket_id, "expired")) == 1
    assert [c["state"] for c in view["checkpoints"]][-4:] == [
        "AWAITING_APPROVAL",  # the request
        "AWAITING_APPROVAL",  # the reminder
        "AWAITING_APPROVAL",  # the escalation
        "EXPIRED",
    ]
    expired_after = seconds_between(view["approval"]["requested_at"], view["checkpoints"][-1]["created_at"])
    assert WAIT - 1 <= expired_after <= WAIT + 3, expired_after
    assert view["decision"] is None and view["step_results"] == []
    stack.wait_for_execution(ticket_id)
    entered = states_entered(stack, ticket_id)
    assert entered[entered.index("Approval timer") :] == [
        *TIMED_WAIT,  # until the reminder is due
        *TIMED_WAIT,  # the reminder, until the escalation is due
        *TIMED_WAIT,  # the escalation, until the end of the wait
        "Approval timer",
        "Policy decides?",
        "Record expiry",
        "Expired",
    ]
    late = vote(api, first_links[LEADS[0]])
    assert late.status == 410 and late.json()["error"] == "approval_expired", late.text
