"""Device actions through AWS Systems Manager Run Command on the customer's managed instances.

Instances are those tagged `supportflow:customer=<customer id>` (`DescribeInstanceInformation`
with a tag filter). Each action runs the one command document the stack defines for it
(`infra/ssm_documents/`, passed in by name), never text from a model or a ticket. The command
id goes to the executor's journal before any wait, so a retried Execute waits on the command
already sent instead of sending it again. The wait is bounded: a command still running when it
ends raises `ExecutorUnavailable`, and Execute's retry goes on waiting on the same command id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import ExecutorUnavailable
from ..domain.execution import CUSTOMER_TAG, ActionExecutor, ExecutorKind, JournalEntry
from ..domain.models import InstanceOutcome, ResolutionStep, StepResult, Ticket, utc_now
from ..ports import ActionJournal
from .aws_errors import error_code, error_message, is_passing

NAME = ExecutorKind.DEVICE.value
# SendCommand takes at most 50 instance ids per call; one command per action keeps "sent once" simple.
MAX_INSTANCES = 50
OUTPUT_CHARS = 1000
_DONE = frozenset({"Success", "Cancelled", "TimedOut", "Failed"})
_PASSING = frozenset({"ThrottlingException", "InternalServerError", "TooManyUpdates"})


class CommandRefused(Exception):
    """Systems Manager refused for good (an unknown document, an instance it cannot reach)."""


class RunCommandDeviceExecutor:
    name = NAME

    def __init__(
        self,
        ssm: Any,
        documents: dict[str, str],
        journal: ActionJournal,
        *,
        wait_seconds: float,
        poll_seconds: float = 2.0,
        command_timeout_seconds: int = 600,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ssm = ssm
        self._documents = documents
        self._journal = journal
        self._wait_seconds = wait_seconds
        self._poll_seconds = poll_seconds
        self._command_timeout = command_timeout_seconds
        self._sleep = sleep
        self._clock = clock

    def run(self, ticket: Ticket, step: ResolutionStep, how: ActionExecutor) -> StepResult:
        document = self._documents.get(how.command or "")
        if document is None:
            return _result(step, "failed", f"No command document is deployed for {how.command!r}; nothing was sent.")
        try:
            with _ssm_errors("run the command"):
                sent = self._sent_before(ticket, step)
                if sent is None:
                    instances = self._instances(ticket.customer_id)
                    if not instances:
                        return _result(
                            step,
                            "failed",
                            f"No managed instance is tagged {CUSTOMER_TAG}={ticket.customer_id}; nothing was sent.",
                        )
                    sent = self._send(ticket, step, document, instances)
                outcomes = self._wait(sent)
        except CommandRefused as refused:
            return _result(step, "failed", str(refused))
        ok = all(o.status == "Success" for o in outcomes)
        summary = ", ".join(f"{o.instance_id}: {o.status}" for o in outcomes)
        detail = f"Run Command {sent.document} (command {sent.command_id}) on {len(outcomes)} instance(s): {summary}."
        return _result(step, "succeeded" if ok else "failed", detail, outcomes)

    def _sent_before(self, ticket: Ticket, step: ResolutionStep) -> JournalEntry | None:
        entries = self._journal.entries(ticket.ticket_id, ticket.customer_id, step.action_id)
        sent = [e for e in entries if e.kind == "command-sent"]
        return sent[0] if sent else None

    def _instances(self, customer_id: str) -> list[str]:
        found: list[str] = []
        request: dict[str, Any] = {
            "Filters": [{"Key": f"tag:{CUSTOMER_TAG}", "Values": [customer_id]}],
            "MaxResults": 50,
        }
        while len(found) < MAX_INSTANCES:
            page = self._ssm.describe_instance_information(**request)
            found += [i["InstanceId"] for i in page.get("InstanceInformationList", [])]
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
        return sorted(found)[:MAX_INSTANCES]

    def _send(self, ticket: Ticket, step: ResolutionStep, document: str, instances: list[str]) -> JournalEntry:
        command = self._ssm.send_command(
            InstanceIds=instances,
            DocumentName=document,
            Comment=f"supportflow {ticket.ticket_id} {step.action_id}"[:100],
            TimeoutSeconds=self._command_timeout,
        )["Command"]
        entry = JournalEntry.model_validate(
            {
                "ticket_id": ticket.ticket_id,
                "action_id": step.action_id,
                "kind": "command-sent",
                "recorded_at": utc_now(),
                "command_id": command["CommandId"],
                "instance_ids": instances,
                "document": document,
            }
        )
        # Before any wait: from here on a retry finds the command and never sends it again.
        self._journal.record(entry, ticket.customer_id)
        return entry

    def _wait(self, sent: JournalEntry) -> list[InstanceOutcome]:
        deadline = self._clock() + self._wait_seconds
        while True:
            outcomes = [self._invocation(sent.command_id, i) for i in sent.instance_ids]
            if all(o.status in _DONE for o in outcomes):
                return outcomes
            if self._clock() >= deadline:
                running = [o.instance_id for o in outcomes if o.status not in _DONE]
                raise ExecutorUnavailable(
                    f"Command {sent.command_id} still runs on {', '.join(running)} after {self._wait_seconds:g} s; "
                    "a retry waits on it again (it is not sent twice)."
                )
            self._sleep(self._poll_seconds)

    def _invocation(self, command_id: str, instance_id: str) -> InstanceOutcome:
        try:
            found = self._ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        except ClientError as error:
            # Right after SendCommand, AWS may not know the invocation yet.
            if error.response.get("Error", {}).get("Code") == "InvocationDoesNotExist":
                return InstanceOutcome(instance_id=instance_id, status="Pending")
            raise
        output = (found.get("StandardOutputContent") or "") + (found.get("StandardErrorContent") or "")
        return InstanceOutcome(
            instance_id=instance_id, status=str(found.get("Status", "Pending")), output=output[-OUTPUT_CHARS:]
        )


def _result(
    step: ResolutionStep, status: str, detail: str, outcomes: list[InstanceOutcome] | None = None
) -> StepResult:
    return StepResult.model_validate(
        {
            "action_id": step.action_id,
            "status": status,
            "detail": detail,
            "finished_at": utc_now(),
            "executor": NAME,
            "instances": outcomes or [],
        }
    )


@contextmanager
def _ssm_errors(what: str) -> Iterator[None]:
    """Passing failures become `ExecutorUnavailable` (Execute retries); refusals become a failed step."""
    try:
        yield
    except ClientError as error:
        code, message = error_code(error), error_message(error)
        if is_passing(error, _PASSING):
            raise ExecutorUnavailable(f"Systems Manager could not {what} right now ({code}).") from error
        raise CommandRefused(f"Systems Manager refused to {what}: {code}: {message}"[:500]) from error
    except BotoCoreError as error:
        raise ExecutorUnavailable(f"Systems Manager could not be reached to {what}: {error}") from error
