"""The ticket workflow in Step Functions: start it, find a ticket, resume a waiting task.

The execution name is the ticket id, so a ticket's execution is found from its id
alone, and its input holds the ticket (including the customer, which is the
AgentCore Memory actor of its checkpoints).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import TicketNotFound, WorkflowUnavailable
from ..domain.models import Decision, Ticket

# Step Functions answers these when a task token can no longer be completed: the
# task already received its result, timed out, or its execution ended.
CLOSED_TASK_ERRORS = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})


class TaskClosed(Exception):
    """The waiting task no longer accepts a result (decided, timed out or ended)."""


class ExecutionExists(Exception):
    """An execution with this name (ticket id) was already started."""


class TicketWorkflow:
    def __init__(self, sfn_client: Any, state_machine_arn: str) -> None:
        self._client = sfn_client
        self._state_machine_arn = state_machine_arn

    def execution_arn(self, ticket_id: str) -> str:
        prefix, name = self._state_machine_arn.split(":stateMachine:")
        return f"{prefix}:execution:{name}:{ticket_id}"

    def start(self, ticket: Ticket, *, request_fingerprint: str | None = None) -> str:
        """Start the ticket's execution; `request_fingerprint` remembers an idempotent submission."""
        workflow_input: dict[str, Any] = {"ticket": ticket.model_dump(mode="json")}
        if request_fingerprint is not None:
            workflow_input["request_fingerprint"] = request_fingerprint
        try:
            response = self._client.start_execution(
                stateMachineArn=self._state_machine_arn,
                name=ticket.ticket_id,
                input=json.dumps(workflow_input),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionAlreadyExists":
                raise ExecutionExists(ticket.ticket_id) from error
            raise WorkflowUnavailable(
                "The ticket could not be started right now; nothing was created. Please try again."
            ) from error
        return str(response["executionArn"])

    def describe(self, ticket_id: str) -> tuple[Ticket, dict[str, Any]]:
        """The ticket as submitted and its execution's description."""
        try:
            execution = self._client.describe_execution(executionArn=self.execution_arn(ticket_id))
        except ClientError as error:
            if error.response["Error"]["Code"] in {"ExecutionDoesNotExist", "InvalidArn"}:
                raise TicketNotFound(ticket_id) from error
            raise
        ticket = Ticket.model_validate(json.loads(execution["input"])["ticket"])
        return ticket, execution

    def submission(self, ticket_id: str) -> tuple[Ticket, str | None] | None:
        """The ticket started under this id and its request fingerprint, or None if there is none."""
        try:
            ticket, execution = self.describe(ticket_id)
        except TicketNotFound:
            return None
        return ticket, json.loads(execution["input"]).get("request_fingerprint")

    def send_decision(self, task_token: str, decision: Decision) -> None:
        try:
            self._client.send_task_success(taskToken=task_token, output=decision.model_dump_json())
        except ClientError as error:
            if error.response["Error"]["Code"] in CLOSED_TASK_ERRORS:
                raise TaskClosed(error.response["Error"]["Code"]) from error
            raise
