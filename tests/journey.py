"""A ticket driven through the workflow tasks as the state machine would, on the fakes.

Each helper runs the real `logic.workflow_tasks` functions with the payloads the
state machine sends, so a test starts from a state the workflow can really reach.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from tests.conftest import make_ticket
from tests.fakes import FakeServices
from ticketing.domain.checkpoint import Checkpoint
from ticketing.domain.models import Decision, Ticket
from ticketing.domain.task_payloads import AnalyzeTask, FindResolutionTask, RequestApprovalTask, WorkflowTask
from ticketing.logic import workflow_tasks
from ticketing.logic.checkpoints import latest_checkpoint

TICKET = make_ticket()
EXECUTIONS = "arn:aws:states:us-east-1:123456789012:execution:tickets:"


def payload(ticket: Ticket = TICKET, execution_name: str | None = None) -> dict[str, Any]:
    """The part of every task's input that names the ticket and its run."""
    return {"ticket": ticket, "execution_id": EXECUTIONS + (execution_name or ticket.ticket_id)}


def history(services: FakeServices, ticket: Ticket = TICKET) -> list[Checkpoint]:
    return services.checkpoints.history(ticket.ticket_id, ticket.customer_id)


def latest(services: FakeServices, ticket: Ticket = TICKET) -> Checkpoint:
    return latest_checkpoint(services.checkpoints, ticket)


def await_approval(
    services: FakeServices, ticket: Ticket = TICKET, task_token: str = "task-token-1", *, start: bool = True
) -> Checkpoint:
    """Start the ticket's run (unless `start` is False), then Analyze, Find resolution and Request approval."""
    if start:
        services.workflow.start(ticket)
    base = payload(ticket)
    analysis = workflow_tasks.analyze(services, AnalyzeTask(**base))
    plan = workflow_tasks.find_resolution(services, FindResolutionTask(**base, analysis=analysis))
    request_approval_again(services, task_token, ticket, analysis=analysis, plan=plan)
    return latest(services, ticket)


def request_approval_again(
    services: FakeServices, task_token: str, ticket: Ticket = TICKET, **known: Any
) -> dict[str, str]:
    """Run Request approval (again) with the analysis and plan the latest checkpoint holds, or `known`'s."""
    if not known:
        data = latest(services, ticket).data
        known = {"analysis": data.analysis, "plan": data.plan}
    task = RequestApprovalTask(**payload(ticket), **known, task_token=task_token)
    return workflow_tasks.request_approval(services, task)


def decision(
    checkpoint: Checkpoint,
    outcome: Literal["approved", "rejected"] = "approved",
    *,
    plan_hash: str | None = None,
    decided_at: datetime | None = None,
) -> Decision:
    """The decision an approver's click sends for the plan in `checkpoint`."""
    return Decision(
        outcome=outcome,
        plan_hash=plan_hash or checkpoint.data.plan_hash or "",
        decided_at=decided_at or datetime.now(UTC),
        decided_by="approver@example.com",
    )


def task(model: type[WorkflowTask], ticket: Ticket = TICKET, execution_name: str | None = None, **fields: Any) -> Any:
    """A task payload as the state machine sends it (validated from JSON-able values)."""
    return model.model_validate({**payload(ticket, execution_name), **fields})


def signed_link(services: FakeServices, checkpoint: Checkpoint, approver: str = "", **claims: Any) -> str:
    """The token an approval email carries for `checkpoint` (to `approver`), signed with the services' key."""
    values: dict[str, Any] = {
        "ticket_id": checkpoint.ticket_id,
        "checkpoint_hash": checkpoint.content_hash,
        "plan_hash": checkpoint.data.plan_hash or "",
        "expires_at": datetime.now(UTC) + timedelta(hours=1),
        "approver": approver,
    }
    return str(services.signer.issue(**{**values, **claims}))
