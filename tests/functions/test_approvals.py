"""Deciding through a link: what a valid signature alone does not buy, on moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from ticketing.adapters.workflow import TaskClosed
from ticketing.domain.errors import (
    AlreadyDecided,
    ApprovalExpired,
    ApprovalLinkExpired,
    ApprovalLinkInvalid,
    ApprovalWindowClosed,
)
from ticketing.domain.models import Decision, TicketState
from ticketing.handlers import analyze, close_ticket, find_resolution, request_approval
from ticketing.logic import approvals

from ..conftest import make_ticket


@pytest.fixture
def waiting(svc, moto_stack):
    """A ticket whose execution exists and whose latest checkpoint awaits approval."""
    ticket = make_ticket(ticket_id="tkt-20261125-aaaaaaaaaaaa")
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    sfn.start_execution(
        stateMachineArn=moto_stack.state_machine_arn,
        name=ticket.ticket_id,
        input=json.dumps({"ticket": ticket.model_dump(mode="json")}),
    )
    base = {"ticket": ticket.model_dump(mode="json"), "execution_id": f"x:{ticket.ticket_id}"}
    analysis = analyze.handler(base, None)
    plan = find_resolution.handler({**base, "analysis": analysis}, None)
    request_approval.handler({**base, "analysis": analysis, "plan": plan, "task_token": "tt-1"}, None)
    return ticket, base, svc.checkpoints.latest(ticket.ticket_id, ticket.customer_id)


def token(svc, ticket, checkpoint, **changes):
    claims = {
        "ticket_id": ticket.ticket_id,
        "checkpoint_hash": checkpoint.content_hash,
        "plan_hash": checkpoint.data.plan_hash,
        "expires_at": datetime.now(UTC) + timedelta(hours=1),
    }
    return svc.signer.issue(**{**claims, **changes})


class RecordingWorkflow:
    def __init__(self, inner, closed: bool = False):
        self.inner, self.closed, self.sent = inner, closed, []

    def describe(self, ticket_id):
        return self.inner.describe(ticket_id)

    def send_decision(self, task_token, decision):
        if self.closed:
            raise TaskClosed("TaskTimedOut")
        self.sent.append((task_token, decision))


def test_a_valid_link_sends_the_decision_for_the_checkpoint_plan(svc, waiting):
    ticket, _, checkpoint = waiting
    svc.workflow = RecordingWorkflow(svc.workflow)
    decision = approvals.decide(svc, ticket.ticket_id, token(svc, ticket, checkpoint), "approved", "ok")
    assert svc.workflow.sent == [("tt-1", decision)]
    assert decision.plan_hash == checkpoint.data.plan_hash and decision.decided_by == "approver@example.com"


def test_a_signed_token_for_another_plan_is_refused(svc, waiting):
    ticket, _, checkpoint = waiting
    svc.workflow = RecordingWorkflow(svc.workflow)
    with pytest.raises(ApprovalLinkInvalid):
        approvals.decide(svc, ticket.ticket_id, token(svc, ticket, checkpoint, plan_hash="0" * 64), "approved")
    assert svc.workflow.sent == []


def test_a_link_replaced_by_a_newer_request_is_gone(svc, waiting):
    ticket, base, checkpoint = waiting
    old = token(svc, ticket, checkpoint)
    data = checkpoint.data
    request_approval.handler(
        {
            **base,
            "analysis": data.analysis.model_dump(mode="json"),
            "plan": data.plan.model_dump(mode="json"),
            "task_token": "tt-2",
        },
        None,
    )
    svc.workflow = RecordingWorkflow(svc.workflow)
    with pytest.raises(ApprovalWindowClosed):
        approvals.decide(svc, ticket.ticket_id, old, "approved")
    assert svc.workflow.sent == []


def test_an_expired_link_is_410_and_sends_nothing(svc, waiting):
    ticket, _, checkpoint = waiting
    svc.workflow = RecordingWorkflow(svc.workflow)
    expired = token(svc, ticket, checkpoint, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(ApprovalLinkExpired):
        approvals.review(svc, ticket.ticket_id, expired)
    with pytest.raises(ApprovalLinkExpired):
        approvals.decide(svc, ticket.ticket_id, expired, "approved")
    assert svc.workflow.sent == []


def test_after_expiry_of_the_request_the_link_says_so(svc, waiting):
    ticket, base, checkpoint = waiting
    close_ticket.handler({**base, "outcome": "EXPIRED"}, None)
    with pytest.raises(ApprovalWindowClosed, match="expired"):
        approvals.decide(svc, ticket.ticket_id, token(svc, ticket, checkpoint), "approved")


def test_a_decided_ticket_says_when_and_how(svc, waiting):
    ticket, base, checkpoint = waiting
    decision = Decision(
        outcome="rejected",
        plan_hash=checkpoint.data.plan_hash,
        decided_at=datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
        decided_by="approver@example.com",
    )
    close_ticket.handler({**base, "outcome": "REJECTED", "decision": decision.model_dump(mode="json")}, None)
    with pytest.raises(AlreadyDecided, match="already rejected at 2026-11-25 10:00:00 UTC by approver@example.com"):
        approvals.decide(svc, ticket.ticket_id, token(svc, ticket, checkpoint), "approved")


def test_a_closed_task_maps_to_already_decided_not_an_error(svc, waiting):
    ticket, _, checkpoint = waiting
    svc.workflow = RecordingWorkflow(svc.workflow, closed=True)
    with pytest.raises(AlreadyDecided):
        approvals.decide(svc, ticket.ticket_id, token(svc, ticket, checkpoint), "approved")
    assert svc.checkpoints.latest(ticket.ticket_id, ticket.customer_id).state is TicketState.AWAITING_APPROVAL


def test_send_decision_maps_step_functions_closed_task_errors(moto_stack):
    from botocore.stub import Stubber

    from ticketing.adapters.workflow import TicketWorkflow

    client = boto3.client("stepfunctions", region_name="us-east-1")
    decision = Decision(outcome="approved", plan_hash="p", decided_at=datetime.now(UTC), decided_by="a")
    for code in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
        with Stubber(client) as stub:
            stub.add_client_error("send_task_success", service_error_code=code, http_status_code=400)
            with pytest.raises(TaskClosed):
                TicketWorkflow(client, moto_stack.state_machine_arn).send_decision("tt", decision)


def test_a_closed_task_past_the_wait_deadline_is_expired_not_already_decided(svc, waiting, monkeypatch):
    # TaskTimedOut answers both a late click and the loser of a race; the deadline tells them apart.
    ticket, _, checkpoint = waiting
    svc.workflow = RecordingWorkflow(svc.workflow, closed=True)
    svc.settings = svc.settings.model_copy(update={"approval_timeout_seconds": 60})
    later = checkpoint.data.approval.requested_at + timedelta(seconds=61)
    monkeypatch.setattr(approvals, "utc_now", lambda: later)
    with pytest.raises(ApprovalExpired, match="expired") as refused:
        link = token(svc, ticket, checkpoint, expires_at=later + timedelta(hours=1))
        approvals.decide(svc, ticket.ticket_id, link, "approved")
    assert refused.value.code == "approval_expired" and refused.value.status == 410
    assert svc.checkpoints.latest(ticket.ticket_id, ticket.customer_id).state is TicketState.AWAITING_APPROVAL
