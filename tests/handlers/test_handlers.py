"""Each Lambda handler, end to end through the real bootstrap on moto, with the payload it gets.

Smoke tests: one per handler, to show the wiring holds (settings, adapters, payload
parsing, the response shape). What each step decides is specified on fakes
(tests/logic, tests/api).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
from pydantic import ValidationError

from ticketing.bootstrap import AwsServices
from ticketing.contract import NON_RETRYABLE_ERRORS
from ticketing.domain.checkpoint import Checkpoint
from ticketing.domain.models import Decision, TicketState

from ..adapters.conftest import APPROVER, BASE_URL, OPERATOR, MotoStack, client
from .conftest import CONTEXT, TASK, TICKET, api_event, awaiting_approval


def history(aws: AwsServices) -> list[Checkpoint]:
    return aws.checkpoints.history(TICKET.ticket_id, TICKET.customer_id)


def test_analyze_checkpoints_analyzing_and_returns_the_analysis(import_handler, aws):
    analysis = import_handler("analyze").handler(TASK, CONTEXT)
    assert analysis["category"] == "network" and analysis["source"] == "rules"
    assert [c.state for c in history(aws)] == [TicketState.ANALYZING]


def test_find_resolution_checkpoints_and_returns_a_plan(import_handler, aws):
    analysis = import_handler("analyze").handler(TASK, CONTEXT)
    plan = import_handler("find_resolution").handler({**TASK, "analysis": analysis}, CONTEXT)
    assert plan["steps"]
    assert history(aws)[-1].state is TicketState.FINDING_SOLUTION


def test_request_approval_checkpoints_the_token_and_emails_a_signed_link(import_handler, aws, moto_stack):
    sent = awaiting_approval(import_handler)
    latest = history(aws)[-1]
    assert latest.state is TicketState.AWAITING_APPROVAL and latest.data.approval.task_token == "task-token-1"
    assert sent["checkpoint_hash"] == latest.content_hash
    (email,) = moto_stack.sent_emails()
    assert email.destinations["ToAddresses"] == [APPROVER] and "task-token-1" not in email.body
    found = re.search(rf"{re.escape(BASE_URL)}/approvals/{TICKET.ticket_id}\?token=([^\s'\"&<]+)", email.body)
    assert found, email.body
    # Signed with the key in Secrets Manager, which the API verifies with.
    claims = aws.signer.verify(unquote(found.group(1)), ticket_id=TICKET.ticket_id, now=datetime.now(UTC))
    assert claims.checkpoint_hash == latest.content_hash


def test_execute_runs_the_approved_plan_and_completes(import_handler, aws, moto_stack):
    waiting = awaiting_approval(import_handler)
    decision = Decision(
        outcome="approved", plan_hash=history(aws)[-1].data.plan_hash, decided_at=datetime.now(UTC), decided_by=APPROVER
    )
    report = import_handler("execute").handler({**TASK, "decision": decision.model_dump(mode="json")}, CONTEXT)
    assert [r["action_id"] for r in report["step_results"]] == [s["action_id"] for s in waiting["plan"]["steps"]]
    assert history(aws)[-1].state is TicketState.COMPLETED
    assert TICKET.customer_email in moto_stack.sent_emails()[-1].destinations["ToAddresses"]


def test_close_ticket_records_a_failure_and_tells_the_operator(import_handler, aws, moto_stack):
    import_handler("analyze").handler(TASK, CONTEXT)
    error = {"Error": "States.TaskFailed", "Cause": "the model timed out"}
    # What Handle failure sends: the error and the whole state.
    payload = {**TASK, "outcome": "FAILED", "error": error, "snapshot": {**TASK, "error": error}}
    report = import_handler("close_ticket").handler(payload, CONTEXT)
    assert report == {"state": "FAILED", "notified": [OPERATOR]}
    latest = history(aws)[-1]
    assert latest.state is TicketState.FAILED and latest.data.failure.failed_in is TicketState.ANALYZING
    assert moto_stack.sent_emails()[-1].destinations["ToAddresses"] == [OPERATOR]


def test_the_api_submits_a_ticket_and_starts_its_workflow(import_handler, moto_stack):
    api = import_handler("api")
    body = {"customer_id": "cust-42", "customer_email": "jo@example.com", "description": "My wifi keeps dropping."}
    submitted = api.handler(api_event("POST", "/tickets", body), CONTEXT)
    assert submitted["statusCode"] == 202, submitted["body"]
    ticket_id = json.loads(submitted["body"])["ticket_id"]
    (execution,) = client("stepfunctions").list_executions(stateMachineArn=moto_stack.state_machine_arn)["executions"]
    assert execution["name"] == ticket_id
    read = api.handler(api_event("GET", f"/tickets/{ticket_id}"), CONTEXT)
    assert read["statusCode"] == 200 and json.loads(read["body"])["ticket_id"] == ticket_id


def test_the_approval_monitor_counts_the_running_tickets(import_handler, aws):
    aws.workflow.start(TICKET)
    report = import_handler("approval_monitor").handler({}, CONTEXT)
    assert report["open_tickets"] == 1 and report["oldest_age_seconds"] >= 0


@pytest.mark.parametrize("step", ["analyze", "find_resolution", "request_approval", "execute", "close_ticket"])
def test_a_payload_the_step_cannot_read_fails_with_an_error_the_state_machine_does_not_retry(
    import_handler, moto_stack: MotoStack, step
):
    with pytest.raises(ValidationError) as raised:
        import_handler(step).handler({"execution_id": TASK["execution_id"]}, CONTEXT)
    assert type(raised.value).__name__ in NON_RETRYABLE_ERRORS
