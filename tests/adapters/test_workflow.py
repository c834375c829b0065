"""`StepFunctionsWorkflow`: a ticket's runs are Step Functions executions named after it.

moto for behaviour; botocore's Stubber (which checks each request against the service
model) for the answers moto never gives: a task token that no longer waits, throttling.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from tests.conftest import make_ticket
from ticketing.adapters.workflow import StepFunctionsWorkflow
from ticketing.domain.errors import (
    ResumeRefused,
    TaskNoLongerWaiting,
    TicketIdTaken,
    TicketNotFound,
    WorkflowUnavailable,
)
from ticketing.domain.models import Decision

from .conftest import MotoStack, client

TICKET = make_ticket()
ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:tickets"
DECISION = Decision(
    outcome="approved", plan_hash="a" * 64, decided_at=datetime(2026, 11, 25, 10, tzinfo=UTC), decided_by="ap@x.com"
)


def execution(moto_stack: MotoStack, name: str) -> dict[str, Any]:
    prefix, machine = moto_stack.state_machine_arn.split(":stateMachine:")
    return dict(client("stepfunctions").describe_execution(executionArn=f"{prefix}:execution:{machine}:{name}"))


def stop(moto_stack: MotoStack, name: str) -> None:
    arn = execution(moto_stack, name)["executionArn"]
    client("stepfunctions").stop_execution(executionArn=arn)


# On moto


def test_a_ticket_starts_one_execution_named_after_it_holding_the_ticket(aws, moto_stack):
    aws.workflow.start(TICKET, request_fingerprint="f" * 64)
    started = execution(moto_stack, TICKET.ticket_id)
    assert started["status"] == "RUNNING"
    assert json.loads(started["input"]) == {"ticket": TICKET.model_dump(mode="json"), "request_fingerprint": "f" * 64}
    assert aws.workflow.submission(TICKET.ticket_id) == (TICKET, "f" * 64)


def test_a_second_ticket_under_a_taken_id_is_refused(aws):
    aws.workflow.start(TICKET)
    with pytest.raises(TicketIdTaken):
        aws.workflow.start(make_ticket(description="Another issue entirely, under the same id."))


def test_starting_the_same_ticket_again_while_it_runs_is_the_same_run(aws, moto_stack):
    # Step Functions (and moto) answer a repeated StartExecution with the same name and input
    # with the running execution: the adapter cannot tell, and nothing new starts.
    aws.workflow.start(TICKET)
    aws.workflow.start(TICKET)
    _, runs = aws.workflow.runs(TICKET.ticket_id)
    assert [r.name for r in runs] == [TICKET.ticket_id]


def test_an_unknown_ticket_has_no_runs_and_no_submission(aws):
    with pytest.raises(TicketNotFound):
        aws.workflow.runs("tkt-20261125-000000000000")
    assert aws.workflow.submission("tkt-20261125-000000000000") is None


def test_runs_follow_the_resume_names_oldest_first_and_stop_at_the_running_one(aws, moto_stack):
    aws.workflow.start(TICKET)
    stop(moto_stack, TICKET.ticket_id)
    first_resume = aws.workflow.start_resumed(TICKET.ticket_id, 1, {"ticket": TICKET.model_dump(mode="json")})
    ticket, runs = aws.workflow.runs(TICKET.ticket_id)
    assert first_resume == f"{TICKET.ticket_id}-r1"
    assert ticket == TICKET
    assert [(r.name, r.status) for r in runs] == [(TICKET.ticket_id, "ABORTED"), (first_resume, "RUNNING")]
    assert runs[0].stopped_at is not None and runs[1].stopped_at is None


def test_a_resume_that_already_started_under_its_name_is_refused(aws, moto_stack):
    aws.workflow.start(TICKET)
    stop(moto_stack, TICKET.ticket_id)
    aws.workflow.start_resumed(TICKET.ticket_id, 1, {"ticket": TICKET.model_dump(mode="json"), "resume": {"n": 1}})
    with pytest.raises(ResumeRefused):
        aws.workflow.start_resumed(TICKET.ticket_id, 1, {"ticket": TICKET.model_dump(mode="json"), "resume": {"n": 2}})


def test_the_submission_is_the_first_runs_input_not_a_resumed_ones(aws, moto_stack):
    aws.workflow.start(TICKET, request_fingerprint="f" * 64)
    stop(moto_stack, TICKET.ticket_id)
    aws.workflow.start_resumed(TICKET.ticket_id, 1, {"ticket": TICKET.model_dump(mode="json")})
    assert aws.workflow.submission(TICKET.ticket_id) == (TICKET, "f" * 64)


def test_running_since_lists_when_each_running_ticket_started(aws, moto_stack):
    aws.workflow.start(TICKET)
    other = make_ticket(ticket_id="tkt-20261125-00000000000b")
    aws.workflow.start(other)
    stop(moto_stack, other.ticket_id)
    (started,) = aws.workflow.running_since()
    assert started == execution(moto_stack, TICKET.ticket_id)["startDate"]


# On the Stubber: request shapes, and the errors moto never answers


@pytest.fixture
def sfn() -> Any:
    return client("stepfunctions")


def test_the_execution_arn_is_derived_from_the_ticket_id():
    assert StepFunctionsWorkflow(None, ARN).execution_arn("tkt-1") == (
        "arn:aws:states:us-east-1:123456789012:execution:tickets:tkt-1"
    )


def test_start_sends_the_ticket_as_the_input_of_an_execution_named_after_it(sfn):
    with Stubber(sfn) as stub:
        stub.add_response(
            "start_execution",
            {"executionArn": f"{ARN}:x", "startDate": datetime.now(UTC)},
            {
                "stateMachineArn": ARN,
                "name": TICKET.ticket_id,
                "input": json.dumps({"ticket": TICKET.model_dump(mode="json")}),
            },
        )
        StepFunctionsWorkflow(sfn, ARN).start(TICKET)
        stub.assert_no_pending_responses()


def test_a_decision_is_the_task_output(sfn):
    with Stubber(sfn) as stub:
        stub.add_response("send_task_success", {}, {"taskToken": "token-1", "output": DECISION.model_dump_json()})
        StepFunctionsWorkflow(sfn, ARN).send_decision("token-1", DECISION)
        stub.assert_no_pending_responses()


@pytest.mark.parametrize("code", ["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"])
def test_a_task_that_no_longer_waits_refuses_the_decision(sfn, code):
    with Stubber(sfn) as stub:
        stub.add_client_error("send_task_success", service_error_code=code, http_status_code=400)
        with pytest.raises(TaskNoLongerWaiting, match=code):
            StepFunctionsWorkflow(sfn, ARN).send_decision("token-1", DECISION)


def test_an_execution_name_taken_at_start_is_a_taken_ticket_id(sfn):
    with Stubber(sfn) as stub:
        stub.add_client_error("start_execution", service_error_code="ExecutionAlreadyExists", http_status_code=400)
        with pytest.raises(TicketIdTaken):
            StepFunctionsWorkflow(sfn, ARN).start(TICKET)


@pytest.mark.parametrize(
    ("code", "status"), [("ThrottlingException", 400), ("AccessDeniedException", 400), ("ServiceUnavailable", 503)]
)
def test_any_other_refusal_to_start_or_resume_is_the_workflow_being_unavailable(sfn, code, status):
    workflow = StepFunctionsWorkflow(sfn, ARN)
    with Stubber(sfn) as stub:
        stub.add_client_error("start_execution", service_error_code=code, http_status_code=status)
        stub.add_client_error("start_execution", service_error_code=code, http_status_code=status)
        with pytest.raises(WorkflowUnavailable):
            workflow.start(TICKET)
        with pytest.raises(WorkflowUnavailable):
            workflow.start_resumed(TICKET.ticket_id, 1, {})


def test_an_execution_name_taken_at_resume_refuses_the_resume(sfn):
    with Stubber(sfn) as stub:
        stub.add_client_error("start_execution", service_error_code="ExecutionAlreadyExists", http_status_code=400)
        with pytest.raises(ResumeRefused):
            StepFunctionsWorkflow(sfn, ARN).start_resumed(TICKET.ticket_id, 1, {})


def test_an_invalid_execution_arn_is_an_unknown_ticket(sfn):
    with Stubber(sfn) as stub:
        stub.add_client_error("describe_execution", service_error_code="InvalidArn", http_status_code=400)
        with pytest.raises(TicketNotFound):
            StepFunctionsWorkflow(sfn, ARN).runs("tkt-20261125-000000000000")


@pytest.mark.parametrize(("code", "status"), [("ThrottlingException", 400), ("ServiceUnavailable", 503)])
def test_any_other_refusal_of_a_decision_is_the_workflow_being_unavailable(sfn, code, status):
    # The API answers 503 "try again", not 500: the decision was not recorded and the link still works.
    with Stubber(sfn) as stub:
        stub.add_client_error("send_task_success", service_error_code=code, http_status_code=status)
        with pytest.raises(WorkflowUnavailable):
            StepFunctionsWorkflow(sfn, ARN).send_decision("token-1", DECISION)


@pytest.mark.parametrize(("code", "status"), [("ThrottlingException", 400), ("ServiceUnavailable", 503)])
def test_a_ticket_that_cannot_be_looked_up_now_is_the_workflow_being_unavailable(sfn, code, status):
    workflow = StepFunctionsWorkflow(sfn, ARN)
    with Stubber(sfn) as stub:
        stub.add_client_error("describe_execution", service_error_code=code, http_status_code=status)
        stub.add_client_error("describe_execution", service_error_code=code, http_status_code=status)
        with pytest.raises(WorkflowUnavailable):
            workflow.runs(TICKET.ticket_id)
        with pytest.raises(WorkflowUnavailable):
            workflow.submission(TICKET.ticket_id)
