"""Each workflow step's handler, on moto, with the payloads the state machine sends."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest

from ticketing.domain.catalog import load_catalog
from ticketing.domain.errors import PlanNotApproved, ResolutionStepFailed
from ticketing.domain.models import Decision, StepResult, TicketState
from ticketing.domain.triage import analyze_ticket
from ticketing.handlers import analyze, close_ticket, execute, find_resolution, request_approval
from ticketing.logic import steps

from ..conftest import make_ticket

TICKET = make_ticket()
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:tickets:" + TICKET.ticket_id
BASE = {"ticket": TICKET.model_dump(mode="json"), "execution_id": EXECUTION}


def history(svc):
    return svc.checkpoints.history(TICKET.ticket_id, TICKET.customer_id)


def prepared(svc, task_token: str = "task-token-1"):
    analysis = analyze.handler(BASE, None)
    plan = find_resolution.handler({**BASE, "analysis": analysis}, None)
    sent = request_approval.handler({**BASE, "analysis": analysis, "plan": plan, "task_token": task_token}, None)
    return analysis, plan, sent


def decision(svc, outcome: str = "approved", plan_hash: str | None = None) -> dict:
    latest = svc.checkpoints.latest(TICKET.ticket_id, TICKET.customer_id)
    return Decision(
        outcome=outcome,
        plan_hash=plan_hash or latest.data.plan_hash,
        decided_at=datetime.now(UTC),
        decided_by="approver@example.com",
    ).model_dump(mode="json")


def test_analyze_checkpoints_analyzing_and_returns_the_analysis(svc):
    result = analyze.handler(BASE, None)
    assert result["category"] == "network" and result["source"] == "rules"
    assert [c.state for c in history(svc)] == [TicketState.ANALYZING]


def test_find_resolution_returns_catalog_steps(svc):
    analysis = analyze.handler(BASE, None)
    plan = find_resolution.handler({**BASE, "analysis": analysis}, None)
    assert [s["action_id"] for s in plan["steps"]][:2] == ["network.check-connection-status", "network.restart-router"]
    latest = history(svc)[-1]
    assert latest.state is TicketState.FINDING_SOLUTION and latest.data.analysis.category.value == "network"


def test_request_approval_saves_the_token_and_emails_a_signed_link(svc, moto_stack):
    _, plan, sent = prepared(svc)
    latest = history(svc)[-1]
    assert latest.state is TicketState.AWAITING_APPROVAL
    assert latest.data.approval.task_token == "task-token-1"
    assert latest.data.plan_hash == load_catalog().plan_for(latest.data.analysis).plan_hash
    (email,) = moto_stack.sent_emails()
    assert email.destinations["ToAddresses"] == ["approver@example.com"]
    link = re.search(r"https://api\.example\.com/prod/approvals/([^?\s]+)\?token=([^\s'\"]+)", email.body).groups()
    assert link[0] == TICKET.ticket_id and "task-token-1" not in email.body
    claims = svc.signer.verify(unquote(link[1]), ticket_id=TICKET.ticket_id, now=datetime.now(UTC))
    assert claims.checkpoint_hash == latest.content_hash == sent["checkpoint_hash"]


def test_request_approval_retried_with_the_same_token_writes_one_checkpoint(svc):
    prepared(svc)
    latest = history(svc)[-1]
    request_approval.handler(
        {
            **BASE,
            "analysis": latest.data.analysis.model_dump(mode="json"),
            "plan": latest.data.plan.model_dump(mode="json"),
            "task_token": "task-token-1",
        },
        None,
    )
    assert [c.state for c in history(svc)].count(TicketState.AWAITING_APPROVAL) == 1


def test_execute_runs_exactly_the_approved_plan_and_completes(svc, moto_stack):
    _, plan, _ = prepared(svc)
    report = execute.handler({**BASE, "decision": decision(svc)}, None)
    assert [r["action_id"] for r in report["step_results"]] == [s["action_id"] for s in plan["steps"]]
    assert report["executor"] == "simulated"
    states = [c.state for c in history(svc)]
    assert states[-1] is TicketState.COMPLETED and states.count(TicketState.EXECUTING) == 1 + len(plan["steps"])
    assert history(svc)[-1].data.decision.outcome == "approved"


def test_execute_refuses_a_plan_other_than_the_approved_one(svc):
    prepared(svc)
    with pytest.raises(PlanNotApproved):
        execute.handler({**BASE, "decision": decision(svc, plan_hash="0" * 64)}, None)
    assert history(svc)[-1].state is TicketState.AWAITING_APPROVAL


def test_execute_refuses_a_rejection(svc):
    prepared(svc)
    with pytest.raises(PlanNotApproved):
        execute.handler({**BASE, "decision": decision(svc, outcome="rejected")}, None)


def test_execute_retried_after_a_step_skips_what_already_succeeded(svc):
    prepared(svc)

    class FailsOnce:
        name = "fails-once"

        def __init__(self):
            self.calls: list[str] = []

        def run(self, ticket, step):
            self.calls.append(step.action_id)
            status = (
                "failed"
                if step.action_id == "network.reset-adapter" and self.calls.count(step.action_id) == 1
                else "succeeded"
            )
            return StepResult(action_id=step.action_id, status=status, detail="", finished_at=datetime.now(UTC))

    from ticketing.domain.payloads import ExecuteInput

    executor = FailsOnce()
    step = ExecuteInput.model_validate({**BASE, "decision": decision(svc)})
    with pytest.raises(ResolutionStepFailed):
        steps.execute_plan(svc, step, executor)
    steps.execute_plan(svc, step, executor)
    assert executor.calls == [
        "network.check-connection-status",
        "network.restart-router",
        "network.reset-adapter",
        "network.reset-adapter",
        "network.check-isp-outage",
    ]
    assert history(svc)[-1].state is TicketState.COMPLETED


def test_close_as_rejected_records_the_decision_and_tells_the_customer(svc, moto_stack):
    prepared(svc)
    report = close_ticket.handler({**BASE, "outcome": "REJECTED", "decision": decision(svc, outcome="rejected")}, None)
    assert report == {"state": "REJECTED", "notified": ["jo@example.com"]}
    assert history(svc)[-1].data.decision.outcome == "rejected"
    assert moto_stack.sent_emails()[-1].destinations["ToAddresses"] == ["jo@example.com"]


def test_close_as_expired_escalates(svc, moto_stack):
    prepared(svc)
    report = close_ticket.handler({**BASE, "outcome": "EXPIRED", "error": {"Error": "States.Timeout"}}, None)
    assert report["state"] == "EXPIRED" and set(report["notified"]) == {"approver@example.com", "ops@example.com"}


def test_handle_failure_records_where_and_why_even_without_earlier_checkpoints(svc, moto_stack):
    report = close_ticket.handler(
        {**BASE, "outcome": "FAILED", "error": {"Error": "Boom", "Cause": '{"errorMessage": "x"}'}}, None
    )
    assert report["notified"] == ["ops@example.com"]
    (only,) = history(svc)
    assert (
        only.state is TicketState.FAILED and only.data.failure.error == "Boom" and only.data.failure.failed_in is None
    )


def test_a_malformed_payload_is_a_validation_error(svc):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        analyze.handler({"ticket": {"ticket_id": "nope"}}, None)
    assert history(svc) == []


def test_without_a_model_the_analysis_is_the_rules_analysis_and_says_why(svc):
    answered = analyze.handler(BASE, None)
    provenance = answered.pop("provenance")
    expected = analyze_ticket(TICKET).model_dump(mode="json")
    expected.pop("provenance")
    assert answered == expected
    assert provenance["source"] == "rules"
    assert provenance["model_calls"] == 0
    assert "no model is configured" in provenance["fallback_reason"]


def test_a_failure_after_the_decision_keeps_the_decision_but_not_the_cause_public(svc, moto_stack):
    import json

    import boto3

    from ticketing.logic.tickets import ticket_view

    boto3.client("stepfunctions", region_name="us-east-1").start_execution(
        stateMachineArn=moto_stack.state_machine_arn,
        name=TICKET.ticket_id,
        input=json.dumps({"ticket": BASE["ticket"]}),
    )
    prepared(svc)
    made = decision(svc)
    error = {"Error": "ValueError", "Cause": "arn:aws:iam::123:role/x is not authorized"}
    snapshot = {**BASE, "decision": made, "error": error}
    close_ticket.handler({**BASE, "outcome": "FAILED", "error": error, "snapshot": snapshot}, None)
    latest = history(svc)[-1]
    assert latest.state is TicketState.FAILED and latest.data.decision.plan_hash == made["plan_hash"]
    assert latest.data.failure.cause.startswith("arn:")  # kept for operators
    public = ticket_view(svc, TICKET.ticket_id).model_dump_json()
    assert "arn:aws:iam" not in public and '"failed_in":"AWAITING_APPROVAL"' in public
