"""Lifecycle events: what other systems learn of each checkpoint.

One event per checkpoint, built from the checkpoint alone, so publishing the same
checkpoint again publishes the same event: a consumer de-duplicates by
(`ticket_id`, `sequence`), which `event_id` joins. An event carries facts a
ticketing system acts on, never a task token, a link token, an approver's comment or
(unless configured) the customer's own words. The JSON Schema of each detail-type is
generated from `EventDetail` and published in docs/events/.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from .checkpoint import Checkpoint
from .models import Category, ExternalRef, Model, Severity, TicketState

SOURCE = "supportflow"
EVENT_SCHEMA_VERSION = 1

# One stable detail-type per state; a consumer's rule matches on these.
DETAIL_TYPES: dict[TicketState, str] = {
    TicketState.ANALYZING: "Ticket Received",
    TicketState.FINDING_SOLUTION: "Ticket Analyzed",
    TicketState.AWAITING_APPROVAL: "Approval Requested",
    TicketState.EXECUTING: "Ticket Executing",
    TicketState.COMPLETED: "Ticket Completed",
    TicketState.REJECTED: "Ticket Rejected",
    TicketState.EXPIRED: "Approval Expired",
    TicketState.FAILED: "Ticket Failed",
    TicketState.AWAITING_CONFIRMATION: "Confirmation Requested",
    TicketState.RESOLVED: "Ticket Resolved",
    TicketState.REOPENED: "Ticket Reopened",
    TicketState.CLOSED: "Ticket Closed",
    TicketState.ESCALATED: "Ticket Escalated",
    TicketState.AWAITING_STEP_REPORT: "Step Report Requested",
}


class PlanFacts(Model):
    source: str
    action_ids: list[str]


class ApprovalFacts(Model):
    round: int
    approvers: list[str]
    approvals_needed: int
    link_expires_at: datetime
    reminded_at: datetime | None = None
    escalated_to: list[str] = Field(default_factory=list)


class VoteFacts(Model):
    approver: str
    outcome: str


class DecisionFacts(Model):
    outcome: str
    decided_by: str
    decided_at: datetime
    round: int
    votes: list[VoteFacts] = Field(default_factory=list)


class StepOutcome(Model):
    action_id: str
    status: str


class FailureFacts(Model):
    error: str
    failed_in: str | None = None


class ConfirmationFacts(Model):
    """The customer's confirmation: which question, each answer's outcome (never their comment), reopenings."""

    question: int
    outcomes: list[str] = Field(default_factory=list)
    reopenings: int = 0
    closing_note: str = ""


class StepRequestFacts(Model):
    """The person step that waits for a report: which action, who carries it out (never their address)."""

    action_id: str
    kind: str
    number: int
    link_expires_at: datetime


class CustomerText(Model):
    subject: str
    description: str


class EventDetail(Model):
    """The `detail` of every supportflow event (the state names which detail-type it is)."""

    schema_version: Literal[1] = 1
    event_id: str = Field(description="'<ticket_id>:<sequence>': the de-duplication key")
    ticket_id: str
    sequence: int = Field(ge=1)
    state: TicketState
    checkpoint_at: datetime
    customer_id: str
    external_ref: ExternalRef | None = None
    category: Category | None = None
    severity: Severity | None = None
    plan: PlanFacts | None = Field(default=None, description="the proposed plan, or the approved one once decided")
    approval: ApprovalFacts | None = None
    decision: DecisionFacts | None = None
    steps: list[StepOutcome] = Field(default_factory=list)
    failure: FailureFacts | None = None
    confirmation: ConfirmationFacts | None = None
    step_request: StepRequestFacts | None = None
    links: dict[str, str]
    customer_text: CustomerText | None = Field(default=None, description="only when the stack is configured to")


class LifecycleEvent(Model):
    detail_type: str
    detail: EventDetail
    time: datetime

    def entry(self, bus_name: str) -> dict[str, Any]:
        """The `PutEvents` entry that publishes this event on `bus_name`."""
        return {
            "Source": SOURCE,
            "DetailType": self.detail_type,
            "Detail": json.dumps(self.detail.model_dump(mode="json"), separators=(",", ":")),
            "EventBusName": bus_name,
            "Time": self.time,
        }


def lifecycle_event(checkpoint: Checkpoint, *, base_url: str, include_customer_text: bool = False) -> LifecycleEvent:
    data = checkpoint.data
    ticket = data.ticket
    plan = data.approved_plan or data.plan
    decision = data.decision
    ticket_url = f"{base_url.rstrip('/')}/tickets/{ticket.ticket_id}"
    detail = EventDetail(
        event_id=f"{ticket.ticket_id}:{checkpoint.sequence}",
        ticket_id=ticket.ticket_id,
        sequence=checkpoint.sequence,
        state=checkpoint.state,
        checkpoint_at=checkpoint.created_at,
        customer_id=ticket.customer_id,
        external_ref=ticket.external_ref,
        category=data.analysis.category if data.analysis else None,
        severity=data.analysis.severity if data.analysis else None,
        plan=PlanFacts(source=plan.source, action_ids=plan.action_ids) if plan else None,
        approval=ApprovalFacts(
            round=data.approval.round,
            approvers=data.approval.asked,
            approvals_needed=data.approval.approvals_needed,
            link_expires_at=data.approval.link_expires_at,
            reminded_at=data.approval.reminded_at,
            escalated_to=data.approval.escalated_to,
        )
        if data.approval and checkpoint.state is TicketState.AWAITING_APPROVAL
        else None,
        decision=DecisionFacts(
            outcome=decision.outcome,
            decided_by=decision.decided_by,
            decided_at=decision.decided_at,
            round=decision.round,
            votes=[VoteFacts(approver=v.approver, outcome=v.outcome) for v in decision.votes],
        )
        if decision
        else None,
        steps=[StepOutcome(action_id=r.action_id, status=r.status) for r in data.step_results],
        failure=FailureFacts(
            error=data.failure.error, failed_in=data.failure.failed_in.value if data.failure.failed_in else None
        )
        if data.failure
        else None,
        confirmation=ConfirmationFacts(
            question=data.confirmation.number if data.confirmation else len(data.answers),
            outcomes=[a.outcome for a in data.answers],
            reopenings=data.reopenings,
            closing_note=data.closing_note,
        )
        if data.confirmation or data.answers or data.closing_note
        else None,
        step_request=StepRequestFacts(
            action_id=data.step_request.action_id,
            kind=data.step_request.kind,
            number=data.step_request.number,
            link_expires_at=data.step_request.link_expires_at,
        )
        if data.step_request and checkpoint.state is TicketState.AWAITING_STEP_REPORT
        else None,
        links={"ticket": ticket_url, "conversation": f"{ticket_url}/conversation"},
        customer_text=CustomerText(subject=ticket.subject, description=ticket.description)
        if include_customer_text
        else None,
    )
    return LifecycleEvent(detail_type=detail_type_of(checkpoint.state), detail=detail, time=checkpoint.created_at)


def detail_type_of(state: TicketState) -> str:
    return DETAIL_TYPES.get(state) or f"Ticket {state.value.replace('_', ' ').title()}"


def detail_schema(detail_type: str) -> dict[str, Any]:
    """The JSON Schema of one detail-type's `detail`: the shared shape, its states pinned."""
    states = sorted(s.value for s in TicketState if detail_type_of(s) == detail_type)
    if not states:
        raise KeyError(detail_type)
    schema = EventDetail.model_json_schema()
    schema["title"] = f"supportflow '{detail_type}' event detail"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["properties"]["state"] = {"enum": states}
    return schema
