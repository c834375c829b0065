"""Reminders, escalation and the policy's own approvals on the fakes: the Approval timer and the waits it sets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import make_ticket
from tests.fakes import FakeServices, fake_settings
from tests.journey import latest, payload, signed_link
from ticketing.domain.errors import ApprovalExpired, ApprovalLinkInvalid
from ticketing.domain.models import TicketState
from ticketing.domain.models import utc_now as now
from ticketing.domain.policy import parse_policy
from ticketing.domain.review import ReviewRequest
from ticketing.domain.task_payloads import (
    AnalyzeTask,
    ApprovalTimerTask,
    ApprovalWait,
    ExecuteTask,
    FindResolutionTask,
    RequestApprovalTask,
)
from ticketing.logic import approvals, checkpoints, workflow_tasks

TIMEOUT = 1000
LEADS = ["lee@example.com", "kim@example.com"]
MANAGERS = ["max@example.com"]
NETWORK = make_ticket(ticket_id="tkt-20261125-0000000000b1")
GENERAL = make_ticket("Can you tell me how to change my notification settings?", ticket_id="tkt-20261125-0000000000b2")


def policy(**rule: Any) -> str:
    return parse_policy(
        {
            "groups": {"leads": LEADS, "managers": MANAGERS},
            "rules": [{"name": "all", "group": "leads", **rule}],
        }
    ).model_dump_json()


def services_with(**rule: Any) -> FakeServices:
    return FakeServices(settings=fake_settings(APPROVAL_POLICY=policy(**rule), APPROVAL_TIMEOUT_SECONDS=TIMEOUT))


class Round:
    """Drives one ticket through Analyze, Find resolution, then Approval timer and Await approval as the state
    machine loops them, with the clock under the test's control."""

    def __init__(self, services: FakeServices, ticket: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.services, self.ticket, self.monkeypatch = services, ticket, monkeypatch
        services.workflow.start(ticket)
        base = payload(ticket)
        self.analysis = workflow_tasks.analyze(services, AnalyzeTask(**base))
        self.plan = workflow_tasks.find_resolution(services, FindResolutionTask(**base, analysis=self.analysis))
        self.tokens = 0
        self.shift = timedelta()

    def later(self, seconds: float) -> None:
        self.shift += timedelta(seconds=seconds)
        shift = self.shift
        self.monkeypatch.setattr(workflow_tasks, "utc_now", lambda: now() + shift)
        self.monkeypatch.setattr(approvals, "utc_now", lambda: now() + shift)

    def timer(self) -> ApprovalWait:
        task = ApprovalTimerTask(**payload(self.ticket), analysis=self.analysis, plan=self.plan)
        return workflow_tasks.approval_timer(self.services, task)

    def wait(self, wait: ApprovalWait) -> None:
        self.tokens += 1
        task = RequestApprovalTask(
            **payload(self.ticket), analysis=self.analysis, plan=self.plan, task_token=f"tt-{self.tokens}", wait=wait
        )
        workflow_tasks.request_approval(self.services, task)


def test_without_reminders_the_wait_is_the_whole_timeout_then_it_expires(monkeypatch):
    services = services_with()
    flow = Round(services, NETWORK, monkeypatch)
    first = flow.timer()
    assert (first.seconds, first.expired, first.due) == (TIMEOUT, False, "")
    flow.wait(first)
    flow.later(TIMEOUT)
    assert flow.timer().expired


def test_a_reminder_goes_once_to_those_who_have_not_answered_and_earlier_links_stay_good(monkeypatch):
    services = services_with(approvals=2, remind_after="25%")
    flow = Round(services, NETWORK, monkeypatch)
    first = flow.timer()
    assert first.seconds == 250
    flow.wait(first)
    waiting = latest(services, NETWORK)
    lee_link = signed_link(services, waiting, LEADS[0], round=1)
    approvals.decide(services, NETWORK.ticket_id, lee_link, ReviewRequest(outcome="approved"))
    flow.later(250)
    due = flow.timer()
    assert (due.due, due.seconds, due.entry) == ("remind", 750, 1)
    flow.wait(due)
    reminders = services.mailer.of_kind("approval-reminder")
    assert [m.to for m in reminders] == [(LEADS[1],)] and reminders[0].subject.startswith("Reminder: ")
    reminded = latest(services, NETWORK)
    assert reminded.state is TicketState.AWAITING_APPROVAL and reminded.data.approval.reminded_at is not None
    assert reminded.data.approval.task_token == "tt-2" and reminded.data.approval.steps_done == 1
    # The link Kim got in the first email still decides, against the new task token.
    kim_link = signed_link(services, waiting, LEADS[1], round=1)
    decided = approvals.decide(services, NETWORK.ticket_id, kim_link, ReviewRequest(outcome="approved"))
    assert decided.decision is not None and services.workflow.decisions[-1][0] == "tt-2"
    flow.later(1)
    assert flow.timer().due == "", "a reminder is sent once"


def test_escalation_asks_the_next_group_with_links_of_their_own(monkeypatch):
    services = services_with(escalation=[{"after": "50%", "group": "managers"}])
    flow = Round(services, NETWORK, monkeypatch)
    flow.wait(flow.timer())
    flow.later(500)
    due = flow.timer()
    assert (due.due, due.due_group, due.seconds) == ("escalate", "managers", 500)
    flow.wait(due)
    escalated = services.mailer.sent[-1]
    assert escalated.to == (MANAGERS[0],) and escalated.subject.startswith("Escalated: ")
    approval = latest(services, NETWORK).data.approval
    assert approval.asked == [*LEADS, *MANAGERS] and approval.escalated_to == ["managers"]
    # The lead's link still works (the default); so does the manager's.
    lead_link = signed_link(services, latest(services, NETWORK), LEADS[0], round=1)
    assert approvals.review(services, NETWORK.ticket_id, lead_link).approver == LEADS[0]
    manager = approvals.decide(
        services,
        NETWORK.ticket_id,
        signed_link(services, latest(services, NETWORK), MANAGERS[0], round=1),
        ReviewRequest(outcome="approved"),
    )
    assert manager.decision is not None and manager.decision.decided_by == MANAGERS[0]


def test_an_escalation_that_replaces_links_leaves_the_earlier_group_without_a_say(monkeypatch):
    services = services_with(escalation=[{"after": "50%", "group": "managers"}], earlier_links_stay_valid=False)
    flow = Round(services, NETWORK, monkeypatch)
    flow.wait(flow.timer())
    flow.later(500)
    flow.wait(flow.timer())
    lead_link = signed_link(services, latest(services, NETWORK), LEADS[0], round=1)
    with pytest.raises(ApprovalLinkInvalid, match="not issued to an approver"):
        approvals.decide(services, NETWORK.ticket_id, lead_link, ReviewRequest(outcome="approved"))
    with pytest.raises(ApprovalLinkInvalid, match="not issued to an approver"):  # nor shows a page to decide on
        approvals.review(services, NETWORK.ticket_id, lead_link)
    assert services.workflow.decisions == []


def test_the_policy_approves_an_all_low_risk_plan_only_where_a_rule_says_so(monkeypatch):
    allowed = services_with(auto_approve_low_risk=True)
    flow = Round(allowed, GENERAL, monkeypatch)
    assert {s.action_id for s in flow.plan.steps} <= {"general.gather-details", "general.escalate-specialist"}
    wait = flow.timer()
    assert wait.auto and wait.decision is not None and wait.decision.decided_by == "policy:all"
    assert allowed.mailer.of_kind("approval-request") == []
    workflow_tasks.execute_plan(allowed, ExecuteTask(**payload(GENERAL), decision=wait.decision))
    final = latest(allowed, GENERAL)
    assert final.state is TicketState.COMPLETED and final.data.rounds[-1].decision.decided_by == "policy:all"
    # Without the rule's say-so, the same plan waits for a person.
    assert (
        not Round(services_with(), GENERAL.model_copy(update={"ticket_id": "tkt-20261125-0000000000b3"}), monkeypatch)
        .timer()
        .auto
    )


def test_a_plan_with_any_step_above_low_risk_is_never_approved_by_the_policy(monkeypatch):
    flow = Round(services_with(auto_approve_low_risk=True), NETWORK, monkeypatch)
    wait = flow.timer()
    assert not wait.auto and wait.decision is None


def test_a_click_after_the_wait_timed_out_is_expired(monkeypatch):
    services = services_with()
    flow = Round(services, NETWORK, monkeypatch)
    flow.wait(flow.timer())
    waiting = latest(services, NETWORK)
    services.workflow.closed_tokens.add("tt-1")  # the wait timed out
    flow.later(TIMEOUT + 1)
    monkeypatch.setattr(checkpoints, "VISIBLE_WITHIN", ())  # the refusal is explained at once
    with pytest.raises(ApprovalExpired):
        approvals.decide(
            services,
            NETWORK.ticket_id,
            signed_link(services, waiting, LEADS[0], round=1),
            ReviewRequest(outcome="approved"),
        )


def test_a_retried_reminder_counts_once_and_the_escalation_after_it_still_comes(monkeypatch):
    services = services_with(remind_after="25%", escalation=[{"after": "50%", "group": "managers"}])
    flow = Round(services, NETWORK, monkeypatch)
    flow.wait(flow.timer())
    flow.later(250)
    due = flow.timer()
    assert due.due == "remind"
    flow.wait(due)
    flow.wait(due)  # Await approval retried (a new task token), after its first attempt wrote the reminder's checkpoint
    approval = latest(services, NETWORK).data.approval
    assert (approval.steps_done, approval.task_token) == (1, "tt-3")
    # At least once: an attempt that failed may have sent part of its emails.
    assert {m.to for m in services.mailer.of_kind("approval-reminder")} == {(LEADS[0],), (LEADS[1],)}
    flow.later(250)
    escalation = flow.timer()
    assert (escalation.due, escalation.due_group) == ("escalate", "managers")
    flow.wait(escalation)
    flow.wait(escalation)  # retried too: the managers still get their links
    assert [m.to for m in services.mailer.sent if m.subject.startswith("Escalated: ")][-1] == (MANAGERS[0],)
    assert latest(services, NETWORK).data.approval.asked == [*LEADS, *MANAGERS]
    assert latest(services, NETWORK).data.approval.steps_done == 2
