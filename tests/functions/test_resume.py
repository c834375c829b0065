"""Resuming on moto: the newest execution is found with DescribeExecution alone, and the
steps of a resumed execution continue from the checkpoint without repeating work."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from ticketing.adapters.mailer import SesMailer
from ticketing.adapters.workflow import TicketWorkflow
from ticketing.domain.errors import EmailRejected, ResumeRefused, TicketNotFound
from ticketing.domain.models import TicketState
from ticketing.domain.notifications import Email
from ticketing.handlers import close_ticket, execute
from ticketing.logic import resume

from ..conftest import make_ticket
from .test_step_handlers import BASE, TICKET, decision, history, prepared

ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:tickets"


def start(moto_stack, name: str, payload: dict, *, stopped: bool = True) -> None:
    """Start an execution and, by default, see that it stopped (moto here may not run it at all)."""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = sfn.start_execution(stateMachineArn=moto_stack.state_machine_arn, name=name, input=json.dumps(payload))
    if stopped and sfn.describe_execution(executionArn=arn["executionArn"])["status"] == "RUNNING":
        sfn.stop_execution(executionArn=arn["executionArn"])


def test_the_newest_execution_is_followed_by_name(svc, moto_stack):
    ticket = make_ticket()
    start(moto_stack, ticket.ticket_id, {"ticket": ticket.model_dump(mode="json")})
    start(moto_stack, f"{ticket.ticket_id}-r1", {"ticket": ticket.model_dump(mode="json")}, stopped=False)
    found, executions = svc.workflow.executions(ticket.ticket_id)
    assert found == ticket
    assert [e["name"] for e in executions] == [ticket.ticket_id, f"{ticket.ticket_id}-r1"]
    assert svc.workflow.describe(ticket.ticket_id)[1]["name"] == f"{ticket.ticket_id}-r1"


def test_a_running_execution_is_the_newest_without_looking_further():
    client = boto3.client("stepfunctions", region_name="us-east-1")
    ticket = make_ticket()
    with Stubber(client) as stub:  # one call: a second would fail the stub
        stub.add_response(
            "describe_execution",
            {
                "executionArn": f"{ARN}:x",
                "stateMachineArn": ARN,
                "name": ticket.ticket_id,
                "status": "RUNNING",
                "startDate": ticket.submitted_at,
                "input": json.dumps({"ticket": ticket.model_dump(mode="json")}),
            },
        )
        assert TicketWorkflow(client, ARN).describe(ticket.ticket_id)[1]["status"] == "RUNNING"


def test_resume_refuses_an_unknown_a_running_and_a_completed_ticket(svc, moto_stack):
    with pytest.raises(TicketNotFound):
        resume.resume_ticket(svc, "tkt-20261125-000000000000")
    with pytest.raises(TicketNotFound):
        resume.resume_ticket(svc, "../etc")
    start(moto_stack, TICKET.ticket_id, {"ticket": BASE["ticket"]})
    prepared(svc)
    execute.handler({**BASE, "decision": decision(svc)}, None)
    with pytest.raises(ResumeRefused, match="COMPLETED"):
        resume.resume_ticket(svc, TICKET.ticket_id)


def test_resuming_an_expired_ticket_starts_the_next_execution_at_the_approval(svc, moto_stack):
    start(moto_stack, TICKET.ticket_id, {"ticket": BASE["ticket"]})
    prepared(svc)
    close_ticket.handler({**BASE, "outcome": "EXPIRED"}, None)
    started = resume.resume_ticket(svc, TICKET.ticket_id)
    assert (started.execution, started.resumed_from) == (f"{TICKET.ticket_id}-r1", "approval")
    _, executions = svc.workflow.executions(TICKET.ticket_id)
    resumed = json.loads(executions[-1]["input"])
    assert resumed["resume"]["from"] == "approval" and "decision" not in resumed
    assert resumed["plan"] == history(svc)[-1].data.plan.model_dump(mode="json")


def test_a_second_resume_with_the_same_name_is_refused(svc, moto_stack):
    client = boto3.client("stepfunctions", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("start_execution", service_error_code="ExecutionAlreadyExists", http_status_code=400)
        with pytest.raises(ResumeRefused, match="already being resumed"):
            TicketWorkflow(client, ARN).resume(TICKET.ticket_id, 1, {"ticket": BASE["ticket"]})


def test_execute_resumed_after_a_failure_continues_under_the_recorded_approval(svc, moto_stack):
    prepared(svc)
    approved = decision(svc)
    error = {"Error": "RuntimeError", "Cause": "boom"}
    close_ticket.handler({**BASE, "outcome": "FAILED", "error": error, "snapshot": {"decision": approved}}, None)
    assert history(svc)[-1].state is TicketState.FAILED

    resumed = {**BASE, "execution_id": BASE["execution_id"] + "-r1", "decision": approved}
    report = execute.handler(resumed, None)
    assert len(report["step_results"]) == 4
    latest = history(svc)[-1]
    assert latest.state is TicketState.COMPLETED and latest.data.failure is None
    assert latest.step_key.startswith(f"{TICKET.ticket_id}-r1/")


def test_an_expired_ticket_tells_the_customer_that_nothing_ran(svc, moto_stack):
    prepared(svc)
    close_ticket.handler({**BASE, "outcome": "EXPIRED"}, None)
    recipients = [m.destinations["ToAddresses"] for m in moto_stack.sent_emails()[1:]]
    assert recipients == [["jo@example.com"], ["approver@example.com", "ops@example.com"]]


def test_an_email_ses_refuses_is_a_typed_error_and_a_throttle_is_not():
    client = boto3.client("sesv2", region_name="us-east-1")
    email = Email(to=("a@example.com",), subject="S", text="T", html="H", kind="k")
    with Stubber(client) as stub:
        stub.add_client_error("send_email", service_error_code="MessageRejected", http_status_code=400)
        stub.add_client_error("send_email", service_error_code="TooManyRequestsException", http_status_code=429)
        with pytest.raises(EmailRejected, match="MessageRejected"):
            SesMailer(client, "from@example.com").send(email)
        with pytest.raises(Exception) as throttled:
            SesMailer(client, "from@example.com").send(email)
        assert not isinstance(throttled.value, EmailRejected)
