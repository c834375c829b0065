"""The `Workflow` port on AWS Step Functions: start a ticket, find its runs, resume, decide.

The execution name is the ticket id, so a ticket's execution is found from its id
alone, and its input holds the ticket (including the customer, which is the
AgentCore Memory actor of its checkpoints). A resumed ticket gets one more
execution per resume, named `<ticket id>-r1`, `-r2`, ...: a resume starts only once
the newest execution has stopped, so the newest is found with DescribeExecution
alone (no ListExecutions): follow the names while the execution found has stopped.
Step Functions errors become domain errors here.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import ResumeRefused, TaskNoLongerWaiting, TicketIdTaken, TicketNotFound, WorkflowUnavailable
from ..domain.executions import execution_arn
from ..domain.models import ConfirmationAnswer, Decision, StepReport, Ticket, WorkflowRun

# Step Functions answers these when a task token can no longer be completed: the
# task already received its result, timed out, or its execution ended.
CLOSED_TASK_ERRORS = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})


def resumed_execution_name(ticket_id: str, resume_number: int) -> str:
    """The name of the ticket's execution started by its `resume_number`-th resume (0: the first run)."""
    return ticket_id if resume_number == 0 else f"{ticket_id}-r{resume_number}"


def _run(execution: dict[str, Any]) -> WorkflowRun:
    return WorkflowRun(
        name=execution["name"],
        status=execution["status"],
        started_at=execution["startDate"],
        stopped_at=execution.get("stopDate"),
    )


class StepFunctionsWorkflow:
    def __init__(self, sfn_client: Any, state_machine_arn: str) -> None:
        self._client = sfn_client
        self._state_machine_arn = state_machine_arn

    def execution_arn(self, execution_name: str) -> str:
        return execution_arn(self._state_machine_arn, execution_name)

    def start(self, ticket: Ticket, *, request_fingerprint: str | None = None) -> None:
        workflow_input: dict[str, Any] = {"ticket": ticket.model_dump(mode="json")}
        if request_fingerprint is not None:
            workflow_input["request_fingerprint"] = request_fingerprint
        try:
            self._client.start_execution(
                stateMachineArn=self._state_machine_arn, name=ticket.ticket_id, input=json.dumps(workflow_input)
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionAlreadyExists":
                raise TicketIdTaken(f"A workflow already runs under ticket id {ticket.ticket_id}.") from error
            raise WorkflowUnavailable(
                "The ticket could not be started right now; nothing was created. Please try again."
            ) from error

    def runs(self, ticket_id: str) -> tuple[Ticket, list[WorkflowRun]]:
        first = self._execution_named(ticket_id)
        if first is None:
            raise TicketNotFound(ticket_id)
        found = [first]
        # A RUNNING execution is the newest: a resume never starts while one runs.
        while found[-1]["status"] != "RUNNING":
            resumed = self._execution_named(resumed_execution_name(ticket_id, len(found)))
            if resumed is None:
                break
            found.append(resumed)
        ticket = Ticket.model_validate(json.loads(first["input"])["ticket"])
        return ticket, [_run(execution) for execution in found]

    def _execution_named(self, execution_name: str) -> dict[str, Any] | None:
        """DescribeExecution of the named execution, or None when there is none."""
        try:
            return dict(self._client.describe_execution(executionArn=self.execution_arn(execution_name)))
        except ClientError as error:
            if error.response["Error"]["Code"] in {"ExecutionDoesNotExist", "InvalidArn"}:
                return None
            raise WorkflowUnavailable("The ticket could not be looked up right now. Please try again.") from error

    def start_resumed(self, ticket_id: str, resume_number: int, resume_input: dict[str, Any]) -> str:
        name = resumed_execution_name(ticket_id, resume_number)
        try:
            self._client.start_execution(
                stateMachineArn=self._state_machine_arn, name=name, input=json.dumps(resume_input, default=str)
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionAlreadyExists":
                raise ResumeRefused(
                    f"Ticket {ticket_id} is already being resumed. Check its state before trying again."
                ) from error
            raise WorkflowUnavailable("The ticket could not be resumed right now; nothing was changed.") from error
        return name

    def submission(self, ticket_id: str) -> tuple[Ticket, str | None] | None:
        # The first execution holds the submitted request; a resumed one (`-rN`) does not.
        first = self._execution_named(ticket_id)
        if first is None:
            return None
        submitted = json.loads(first["input"])
        return Ticket.model_validate(submitted["ticket"]), submitted.get("request_fingerprint")

    def send_decision(self, task_token: str, decision: Decision) -> None:
        self._send_result(task_token, decision.model_dump_json())

    def send_answer(self, task_token: str, answer: ConfirmationAnswer) -> None:
        self._send_result(task_token, answer.model_dump_json())

    def send_step_report(self, task_token: str, report: StepReport) -> None:
        self._send_result(task_token, report.model_dump_json())

    def _send_result(self, task_token: str, output: str) -> None:
        try:
            self._client.send_task_success(taskToken=task_token, output=output)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in CLOSED_TASK_ERRORS:
                raise TaskNoLongerWaiting(f"Step Functions refused the decision: {code}.") from error
            raise WorkflowUnavailable(
                "The decision could not be recorded right now; nothing was changed. Please try again."
            ) from error

    def running_since(self) -> list[datetime]:
        started: list[datetime] = []
        pages = self._client.get_paginator("list_executions").paginate(
            stateMachineArn=self._state_machine_arn, statusFilter="RUNNING"
        )
        for page in pages:
            started.extend(execution["startDate"] for execution in page["executions"])
        return started
