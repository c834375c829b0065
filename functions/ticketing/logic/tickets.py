"""Ticket intake and the ticket's status view, as the API offers them."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from ..adapters.workflow import ExecutionExists
from ..domain.checkpoint import Checkpoint
from ..domain.errors import IdempotencyKeyReused, TicketNotFound, WorkflowUnavailable
from ..domain.models import (
    TICKET_ID_PATTERN,
    Analysis,
    Decision,
    FailureReport,
    ResolutionPlan,
    StepResult,
    Ticket,
    TicketRequest,
    TicketState,
    sha256_hex,
    utc_now,
)
from ..wiring import Services

_TICKET_ID = re.compile(TICKET_ID_PATTERN)


def new_ticket_id(now: datetime) -> str:
    return f"tkt-{now:%Y%m%d}-{secrets.token_hex(6)}"


def require_ticket_id(ticket_id: str) -> str:
    """Refuse anything that is not a ticket id before it reaches a store or an ARN."""
    if not _TICKET_ID.fullmatch(ticket_id):
        raise TicketNotFound(ticket_id[:80])
    return ticket_id


def _ticket(request: TicketRequest, ticket_id: str, submitted_at: datetime) -> Ticket:
    return Ticket(
        ticket_id=ticket_id,
        customer_id=request.customer_id,
        customer_email=request.customer_email,
        subject=request.subject,
        description=request.description,
        submitted_at=submitted_at,
    )


def submit_ticket(services: Services, request: TicketRequest) -> Ticket:
    """Create the ticket and start its workflow (the execution is named after it)."""
    now = utc_now()
    ticket = _ticket(request, new_ticket_id(now), now)
    try:
        services.workflow.start(ticket)
    except ExecutionExists as collided:  # 48 random bits collided: refuse rather than answer for another ticket
        raise WorkflowUnavailable(
            "The ticket could not be started right now; nothing was created. Please try again."
        ) from collided
    return ticket


class Submission(BaseModel):
    ticket: Ticket
    replayed: bool


def idempotent_ticket_id(customer_id: str, idempotency_key: str, day: datetime) -> str:
    """The ticket id a client's key stands for on a given day (same key, same customer: same id)."""
    digest = hashlib.sha256(f"{customer_id}\n{idempotency_key}".encode()).hexdigest()[:12]
    return f"tkt-{day:%Y%m%d}-{digest}"


def submit_ticket_once(services: Services, request: TicketRequest, idempotency_key: str) -> Submission:
    """Submit, or find the ticket this key already submitted; a retry starts nothing new.

    The key is remembered without a data store: it names the execution (the ticket id
    is derived from it), and the execution input keeps a fingerprint of the request.
    Looking back one day keeps a retry across midnight on the same ticket.
    """
    fingerprint = sha256_hex(request.model_dump(mode="json"))
    now = utc_now()
    for day in (now, now - timedelta(days=1)):
        found = services.workflow.submission(idempotent_ticket_id(request.customer_id, idempotency_key, day))
        if found is not None:
            return _replay(*found, fingerprint)
    ticket = _ticket(request, idempotent_ticket_id(request.customer_id, idempotency_key, now), now)
    try:
        services.workflow.start(ticket, request_fingerprint=fingerprint)
    except ExecutionExists:  # a concurrent retry with the same key started it first
        found = services.workflow.submission(ticket.ticket_id)
        assert found is not None, "an execution that exists can be described"
        return _replay(*found, fingerprint)
    return Submission(ticket=ticket, replayed=False)


def _replay(ticket: Ticket, started_with: str | None, fingerprint: str) -> Submission:
    if started_with != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different ticket. "
            "Use a new key for a new ticket, and the same key only to retry the same request."
        )
    return Submission(ticket=ticket, replayed=True)


class CheckpointSummary(BaseModel):
    sequence: int
    state: str
    created_at: datetime
    note: str = ""

    @staticmethod
    def of(checkpoint: Checkpoint) -> CheckpointSummary:
        results = checkpoint.data.step_results
        note = ""
        if checkpoint.state is TicketState.EXECUTING and results:
            note = f"{results[-1].action_id} {results[-1].status}"
        elif checkpoint.data.decision is not None and checkpoint.state is not TicketState.COMPLETED:
            note = f"{checkpoint.data.decision.outcome} by {checkpoint.data.decision.decided_by}"
        return CheckpointSummary(
            sequence=checkpoint.sequence, state=checkpoint.state.value, created_at=checkpoint.created_at, note=note
        )


class ApprovalSummary(BaseModel):
    approver_email: str
    requested_at: datetime
    link_expires_at: datetime


class FailureSummary(BaseModel):
    """What went wrong, for the public view; the full cause goes to operators only."""

    error: str
    failed_in: str | None = None


class WorkflowSummary(BaseModel):
    status: str
    started_at: datetime
    stopped_at: datetime | None = None

    @staticmethod
    def of(execution: dict[str, Any]) -> WorkflowSummary:
        return WorkflowSummary(
            status=execution["status"], started_at=execution["startDate"], stopped_at=execution.get("stopDate")
        )


class ExecutionSummary(WorkflowSummary):
    """One execution of the ticket's workflow: the first run, then one per resume."""

    name: str

    @staticmethod
    def of(execution: dict[str, Any]) -> ExecutionSummary:
        return ExecutionSummary(name=execution["name"], **WorkflowSummary.of(execution).model_dump())


class TicketView(BaseModel):
    """A ticket as `GET /tickets/{id}` shows it. The task token is never shown."""

    ticket_id: str
    state: str
    customer_id: str
    subject: str
    description: str
    submitted_at: datetime
    analysis: Analysis | None = None
    plan: ResolutionPlan | None = None
    plan_hash: str | None = None
    approval: ApprovalSummary | None = None
    decision: Decision | None = None
    step_results: list[StepResult] = []
    failure: FailureSummary | None = None
    checkpoints: list[CheckpointSummary]
    workflow: WorkflowSummary
    executions: list[ExecutionSummary] = []


def ticket_view(services: Services, ticket_id: str) -> TicketView:
    ticket, executions = services.workflow.executions(require_ticket_id(ticket_id))
    execution = executions[-1]
    history = services.checkpoints.history(ticket.ticket_id, ticket.customer_id)
    latest: Checkpoint | None = history[-1] if history else None
    data = latest.data if latest else None
    approval = data.approval if data else None
    return TicketView(
        ticket_id=ticket.ticket_id,
        state=ticket_state(latest, execution["status"]),
        customer_id=ticket.customer_id,
        subject=ticket.subject,
        description=ticket.description,
        submitted_at=ticket.submitted_at,
        analysis=data.analysis if data else None,
        plan=data.plan if data else None,
        plan_hash=data.plan_hash if data else None,
        approval=ApprovalSummary.model_validate(approval.model_dump(exclude={"task_token"})) if approval else None,
        decision=data.decision if data else None,
        step_results=data.step_results if data else [],
        failure=_failure_summary(data.failure) if data and data.failure else None,
        checkpoints=[CheckpointSummary.of(c) for c in history],
        workflow=WorkflowSummary.of(execution),
        executions=[ExecutionSummary.of(e) for e in executions],
    )


def ticket_state(latest: Checkpoint | None, execution_status: str) -> str:
    """The ticket's state: its newest checkpoint's, unless the workflow ended without a final one.

    `RECEIVED`: started, no checkpoint yet. `RESUMING`: a resumed execution runs and has
    not written its first checkpoint. `WORKFLOW_<status>`: the execution stopped
    (aborted, timed out, or failed while closing) and no final checkpoint says why.
    """
    if execution_status == "RUNNING":
        if latest is not None and latest.state.is_final:
            return "RESUMING"
        return latest.state.value if latest else "RECEIVED"
    if latest is not None and latest.state.is_final:
        return latest.state.value
    return f"WORKFLOW_{execution_status}"


def _failure_summary(failure: FailureReport) -> FailureSummary:
    return FailureSummary(error=failure.error, failed_in=failure.failed_in.value if failure.failed_in else None)
