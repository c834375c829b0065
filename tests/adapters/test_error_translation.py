"""Adapters turn AWS errors into domain errors (and only the ones a retry cannot fix).

botocore's Stubber answers as the service would, so each test names the AWS error code
and the domain error the logic sees; the fakes in tests/fakes.py promise the same.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tests.conftest import make_ticket
from ticketing.adapters.mailer import SesMailer
from ticketing.adapters.workflow import StepFunctionsWorkflow
from ticketing.domain.errors import (
    EmailRejected,
    ResumeRefused,
    TaskNoLongerWaiting,
    TicketIdTaken,
    WorkflowUnavailable,
)
from ticketing.domain.models import Decision
from ticketing.domain.notifications import Email

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:tickets"
TICKET = make_ticket()


def stepfunctions() -> Any:
    return boto3.client("stepfunctions", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def described(name: str, status: str) -> dict[str, Any]:
    return {
        "executionArn": f"{MACHINE.replace(':stateMachine:', ':execution:')}:{name}",
        "stateMachineArn": MACHINE,
        "name": name,
        "status": status,
        "startDate": TICKET.submitted_at,
        "input": json.dumps({"ticket": TICKET.model_dump(mode="json")}),
    }


@pytest.mark.parametrize("code", ["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"])
def test_a_task_that_no_longer_waits_is_a_domain_error(code: str) -> None:
    client = stepfunctions()
    decision = Decision(outcome="approved", plan_hash="p", decided_at=datetime.now(UTC), decided_by="a")
    with Stubber(client) as stub:
        stub.add_client_error("send_task_success", service_error_code=code, http_status_code=400)
        with pytest.raises(TaskNoLongerWaiting, match=code):
            StepFunctionsWorkflow(client, MACHINE).send_decision("tt", decision)


def test_a_throttled_decision_is_not_mistaken_for_a_closed_task() -> None:
    client = stepfunctions()
    decision = Decision(outcome="approved", plan_hash="p", decided_at=datetime.now(UTC), decided_by="a")
    with Stubber(client) as stub:
        stub.add_client_error("send_task_success", service_error_code="ThrottlingException", http_status_code=400)
        with pytest.raises(WorkflowUnavailable):  # a 503 the approver may retry, never "already decided"
            StepFunctionsWorkflow(client, MACHINE).send_decision("tt", decision)


def test_a_ticket_id_already_started_is_taken_and_any_other_refusal_is_unavailable() -> None:
    client = stepfunctions()
    with Stubber(client) as stub:
        stub.add_client_error("start_execution", service_error_code="ExecutionAlreadyExists", http_status_code=400)
        stub.add_client_error("start_execution", service_error_code="StateMachineDoesNotExist", http_status_code=400)
        with pytest.raises(TicketIdTaken):
            StepFunctionsWorkflow(client, MACHINE).start(TICKET)
        with pytest.raises(WorkflowUnavailable, match="nothing was created"):
            StepFunctionsWorkflow(client, MACHINE).start(TICKET)


def test_a_second_resume_with_the_same_name_is_refused() -> None:
    client = stepfunctions()
    with Stubber(client) as stub:
        stub.add_client_error("start_execution", service_error_code="ExecutionAlreadyExists", http_status_code=400)
        with pytest.raises(ResumeRefused, match="already being resumed"):
            StepFunctionsWorkflow(client, MACHINE).start_resumed(TICKET.ticket_id, 1, {"ticket": {}})


def test_a_running_execution_is_the_newest_without_looking_further() -> None:
    client = stepfunctions()
    with Stubber(client) as stub:  # one answer: a second DescribeExecution would fail the stub
        stub.add_response("describe_execution", described(TICKET.ticket_id, "RUNNING"))
        ticket, runs = StepFunctionsWorkflow(client, MACHINE).runs(TICKET.ticket_id)
    assert ticket == TICKET and [(r.name, r.status) for r in runs] == [(TICKET.ticket_id, "RUNNING")]


def test_the_newest_execution_is_followed_by_name_until_one_runs_or_none_follows() -> None:
    client = stepfunctions()
    with Stubber(client) as stub:
        stub.add_response("describe_execution", described(TICKET.ticket_id, "ABORTED"))
        stub.add_response("describe_execution", described(f"{TICKET.ticket_id}-r1", "FAILED"))
        stub.add_client_error("describe_execution", service_error_code="ExecutionDoesNotExist", http_status_code=400)
        _, runs = StepFunctionsWorkflow(client, MACHINE).runs(TICKET.ticket_id)
        stub.assert_no_pending_responses()
    assert [r.name for r in runs] == [TICKET.ticket_id, f"{TICKET.ticket_id}-r1"]


def test_an_email_ses_refuses_is_a_typed_error_and_a_throttle_is_not() -> None:
    client = boto3.client("sesv2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    email = Email(to=("a@example.com",), subject="S", text="T", html="H", kind="k")
    with Stubber(client) as stub:
        stub.add_client_error("send_email", service_error_code="MessageRejected", http_status_code=400)
        stub.add_client_error("send_email", service_error_code="TooManyRequestsException", http_status_code=429)
        with pytest.raises(EmailRejected, match="MessageRejected"):
            SesMailer(client, "from@example.com").send(email)
        with pytest.raises(ClientError) as throttled:
            SesMailer(client, "from@example.com").send(email)
        assert not isinstance(throttled.value, EmailRejected)
