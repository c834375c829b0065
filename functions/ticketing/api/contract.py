"""The HTTP API's contract: every request body and response body, in one place.

Field names, limits and shapes here are what other systems rely on; the OpenAPI
document (`/openapi.json`, docs/openapi.json) is generated from these models.
Domain objects come in through `of(...)` and never leave unconverted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ..domain.checkpoint import Checkpoint
from ..domain.conversation import MAX_MESSAGE_CHARS, Turn
from ..domain.models import (
    CUSTOMER_ID_PATTERN,
    EMAIL,
    MAX_COMMENT_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_STEP_NOTE_CHARS,
    MAX_SUBJECT_CHARS,
    Analysis,
    ApprovalRequest,
    ApprovalRound,
    ConfirmationAnswer,
    Decision,
    ExternalRef,
    FailureReport,
    NewTicket,
    PlanChanges,
    ResolutionPlan,
    ResolutionStep,
    StepReport,
    StepResult,
    TicketState,
    Vote,
    WorkflowRun,
    trimmed,
    trimmed_not_blank,
)
from ..domain.resume import ResumeFrom
from ..domain.review import ReviewRequest
from ..logic.conversation import ConversationReply
from ..logic.resume import ResumeStarted
from ..logic.tickets import TicketRecord


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Requests


class TicketBody(Body):
    """What a customer submits through `POST /tickets`.

    Limits apply to the text as sent, so the published OpenAPI schema states them
    exactly; surrounding whitespace is trimmed afterwards.
    """

    # The published schema keeps the name generated clients already use.
    model_config = ConfigDict(extra="forbid", frozen=True, title="TicketRequest")

    customer_id: Annotated[str, StringConstraints(pattern=CUSTOMER_ID_PATTERN)]
    customer_email: Annotated[str, Field(max_length=254, json_schema_extra={"pattern": EMAIL.pattern})]
    description: Annotated[
        str, Field(min_length=1, max_length=MAX_DESCRIPTION_CHARS), AfterValidator(trimmed_not_blank)
    ]
    subject: Annotated[str, Field(max_length=MAX_SUBJECT_CHARS), AfterValidator(trimmed)] = ""
    # The ticket's id in the team's ticketing system; carried by every checkpoint, event and webhook.
    external_ref: ExternalRef | None = None

    @field_validator("customer_email")
    @classmethod
    def _email_shape(cls, value: str) -> str:
        if not EMAIL.fullmatch(value):
            raise ValueError("must be an email address such as jo@example.com")
        return value

    def new_ticket(self) -> NewTicket:
        return NewTicket.model_validate(self.model_dump())


class MessageBody(Body):
    """The body of `POST /tickets/{ticket_id}/messages`."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="CustomerMessage")

    # The limit counts the text as sent (as API Gateway's model does); blank text is refused after trimming.
    text: Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE_CHARS), AfterValidator(trimmed_not_blank)]


class DecisionBody(BaseModel):
    """What the approval page posts (as a form, or as JSON)."""

    model_config = ConfigDict(title="DecisionForm")

    token: str = Field(description="The token from the approval link, unchanged.")
    decision: Literal["approve", "reject", "revise"]
    steps: list[str] | None = Field(
        default=None,
        description="approve or revise: the plan as the approver wants it, catalog action ids in order "
        "(in a form, repeated `steps` fields). Absent: the plan as proposed. Ignored with reject.",
    )
    notes: dict[str, str] = Field(
        default_factory=dict,
        description="Per-step notes for the engineer, keyed by action id (in a form, `notes[<action id>]`).",
    )
    comment: Annotated[str, Field(max_length=MAX_COMMENT_CHARS)] = Field(default="", description="approve: optional.")
    reason: Annotated[str, Field(max_length=MAX_COMMENT_CHARS)] = Field(
        default="", description="reject: required (`comment` is taken when absent, as before)."
    )
    feedback: Annotated[str, Field(max_length=MAX_COMMENT_CHARS)] = Field(
        default="", description="revise: required; what the planner should change."
    )
    notify_customer: bool = Field(
        default=False, description="reject: whether the reason goes to the customer (else a neutral sentence)."
    )

    def review_request(self) -> ReviewRequest:
        """The decision in the domain's words; the fields each decision requires are checked here."""
        if self.decision == "reject":
            reason = self.reason.strip() or self.comment.strip()
            if not reason:
                raise ValueError("A rejection needs a reason in the field 'reason'.")
            return ReviewRequest(
                outcome="rejected", reason=reason, comment=self.comment.strip(), notify_customer=self.notify_customer
            )
        if self.decision == "revise":
            if not self.feedback.strip():
                raise ValueError("Sending a plan back needs your feedback in the field 'feedback'.")
            return ReviewRequest(
                outcome="changes_requested", steps=self.steps, notes=self.notes, feedback=self.feedback.strip()
            )
        return ReviewRequest(outcome="approved", steps=self.steps, notes=self.notes, comment=self.comment.strip())


# Responses


class ErrorBody(BaseModel):
    """Every refusal: a stable code and a sentence that says what to do."""

    error: str
    message: str


class TicketAccepted(BaseModel):
    ticket_id: str
    state: str
    submitted_at: datetime
    links: dict[str, str]


class CheckpointSummary(BaseModel):
    sequence: int
    state: str
    created_at: datetime
    note: str = ""

    @staticmethod
    def of(checkpoint: Checkpoint) -> CheckpointSummary:
        results = checkpoint.data.step_results
        note = ""
        answers = checkpoint.data.answers
        if checkpoint.state is TicketState.EXECUTING and results:
            note = f"{results[-1].action_id} {results[-1].status}"
        elif checkpoint.state in (TicketState.CLOSED, TicketState.ESCALATED):
            note = checkpoint.data.closing_note
        elif checkpoint.state in (TicketState.RESOLVED, TicketState.REOPENED) and answers:
            note = f"the customer answered {answers[-1].outcome}"
        elif checkpoint.state is TicketState.AWAITING_STEP_REPORT and checkpoint.data.step_request:
            asked = checkpoint.data.step_request
            note = f"{asked.action_id} waits for the {asked.kind}'s report"
        elif checkpoint.state is TicketState.AWAITING_CONFIRMATION and checkpoint.data.confirmation:
            note = f"question {checkpoint.data.confirmation.number} to the customer"
        elif checkpoint.data.decision is not None and checkpoint.state is not TicketState.COMPLETED:
            note = f"{checkpoint.data.decision.outcome} by {checkpoint.data.decision.decided_by}"
        return CheckpointSummary(
            sequence=checkpoint.sequence, state=checkpoint.state.value, created_at=checkpoint.created_at, note=note
        )


class VoteSummary(BaseModel):
    approver: str
    outcome: str
    decided_at: datetime


class ApprovalSummary(BaseModel):
    """Who was asked and who has answered; the task token is never shown."""

    approver_email: str
    requested_at: datetime
    link_expires_at: datetime
    round: int = 1
    approvers: list[str] = []
    approvals_needed: int = 1
    rule: str = ""
    group: str = ""
    plan_risk: str | None = None
    # While several approvers are needed: the votes so far, and how many approvals are still missing.
    votes: list[VoteSummary] = []
    approvals_missing: int = 0

    @staticmethod
    def of(approval: ApprovalRequest, votes: list[Vote], waiting: bool) -> ApprovalSummary:
        approved = {v.approver for v in votes if v.outcome == "approved"}
        return ApprovalSummary(
            approver_email=approval.approver_email,
            requested_at=approval.requested_at,
            link_expires_at=approval.link_expires_at,
            round=approval.round,
            approvers=approval.asked,
            approvals_needed=approval.approvals_needed,
            rule=approval.rule,
            group=approval.group,
            plan_risk=approval.plan_risk.value if approval.plan_risk else None,
            votes=[VoteSummary(approver=v.approver, outcome=v.outcome, decided_at=v.decided_at) for v in votes],
            approvals_missing=max(approval.approvals_needed - len(approved), 0) if waiting else 0,
        )


class FailureSummary(BaseModel):
    """What went wrong, for the public view; the full cause goes to operators only."""

    error: str
    failed_in: str | None = None

    @staticmethod
    def of(failure: FailureReport) -> FailureSummary:
        return FailureSummary(error=failure.error, failed_in=failure.failed_in.value if failure.failed_in else None)


class WorkflowSummary(BaseModel):
    status: str
    started_at: datetime
    stopped_at: datetime | None = None

    @staticmethod
    def of(run: WorkflowRun) -> WorkflowSummary:
        return WorkflowSummary(status=run.status, started_at=run.started_at, stopped_at=run.stopped_at)


class ExecutionSummary(WorkflowSummary):
    """One execution of the ticket's workflow: the first run, then one per resume."""

    name: str

    @staticmethod
    def of(run: WorkflowRun) -> ExecutionSummary:
        return ExecutionSummary(name=run.name, status=run.status, started_at=run.started_at, stopped_at=run.stopped_at)


class RoundView(BaseModel):
    """One closed review round: what was proposed, what the approver decided, what they changed."""

    number: int
    proposed_plan: ResolutionPlan
    proposed_plan_hash: str
    requested_at: datetime
    approver_email: str
    outcome: str
    decided_by: str
    decided_at: datetime
    changes: PlanChanges
    comment: str = ""
    feedback: str = ""
    reason: str = ""
    notify_customer: bool = False

    @staticmethod
    def of(closed: ApprovalRound) -> RoundView:
        decision = closed.decision
        return RoundView(
            number=closed.number,
            proposed_plan=closed.proposed_plan,
            proposed_plan_hash=closed.proposed_plan.plan_hash,
            requested_at=closed.requested_at,
            approver_email=closed.approver_email,
            outcome=decision.outcome,
            decided_by=decision.decided_by,
            decided_at=decision.decided_at,
            changes=decision.changes,
            comment=decision.comment,
            feedback=decision.feedback,
            reason=decision.reason,
            notify_customer=decision.notify_customer,
        )


class ConfirmationSummary(BaseModel):
    """The question that waits (or waited); the task token is never shown."""

    number: int
    requested_at: datetime
    link_expires_at: datetime


class StepRequestSummary(BaseModel):
    """The person step that waits for a report (AWAITING_STEP_REPORT); the task token is never shown."""

    action_id: str
    kind: Literal["customer", "engineer"]
    number: int
    requested_at: datetime
    link_expires_at: datetime


class TicketView(BaseModel):
    """A ticket as `GET /tickets/{id}` shows it. The task token is never shown."""

    ticket_id: str
    state: str
    customer_id: str
    subject: str
    description: str
    submitted_at: datetime
    external_ref: ExternalRef | None = None
    analysis: Analysis | None = None
    plan: ResolutionPlan | None = None
    plan_hash: str | None = None
    approval: ApprovalSummary | None = None
    decision: Decision | None = None
    # The plan that runs (or ran): the proposed one as the approver approved it, edits included.
    approved_plan: ResolutionPlan | None = None
    # Every closed review round, oldest first.
    rounds: list[RoundView] = []
    step_results: list[StepResult] = []
    failure: FailureSummary | None = None
    checkpoints: list[CheckpointSummary]
    workflow: WorkflowSummary
    executions: list[ExecutionSummary] = []
    # The newest execution in the AWS Step Functions console (graph view, event history), for operators.
    execution_console_url: str | None = None
    # The customer's confirmation: the question asked after the last step, every answer (oldest first),
    # how often the ticket was reopened, a reopened ticket's earlier review rounds, and why it closed.
    confirmation: ConfirmationSummary | None = None
    answers: list[ConfirmationAnswer] = []
    reopenings: int = 0
    earlier_rounds: list[RoundView] = []
    closing_note: str = ""
    # Person steps: the step waiting for the customer's or the engineer's report (AWAITING_STEP_REPORT only),
    # and every report received (oldest first; their note included: the API's clients are the operators).
    step_request: StepRequestSummary | None = None
    step_reports: list[StepReport] = []

    @staticmethod
    def of(record: TicketRecord) -> TicketView:
        ticket, latest = record.ticket, record.latest
        data = latest.data if latest else None
        approval = data.approval if data else None
        return TicketView(
            ticket_id=ticket.ticket_id,
            state=record.state,
            customer_id=ticket.customer_id,
            subject=ticket.subject,
            description=ticket.description,
            submitted_at=ticket.submitted_at,
            external_ref=ticket.external_ref,
            analysis=data.analysis if data else None,
            plan=data.plan if data else None,
            plan_hash=data.plan_hash if data else None,
            approval=ApprovalSummary.of(approval, record.votes, record.state == "AWAITING_APPROVAL")
            if approval
            else None,
            decision=data.decision if data else None,
            approved_plan=data.approved_plan if data else None,
            rounds=[RoundView.of(r) for r in data.rounds] if data else [],
            step_results=data.step_results if data else [],
            failure=FailureSummary.of(data.failure) if data and data.failure else None,
            checkpoints=[CheckpointSummary.of(c) for c in record.history],
            workflow=WorkflowSummary.of(record.runs[-1]),
            executions=[ExecutionSummary.of(r) for r in record.runs],
            confirmation=ConfirmationSummary(
                number=data.confirmation.number,
                requested_at=data.confirmation.requested_at,
                link_expires_at=data.confirmation.link_expires_at,
            )
            if data and data.confirmation
            else None,
            answers=data.answers if data else [],
            reopenings=data.reopenings if data else 0,
            earlier_rounds=[RoundView.of(r) for r in data.earlier_rounds] if data else [],
            closing_note=data.closing_note if data else "",
            step_request=StepRequestSummary.model_validate(data.step_request.model_dump(exclude={"task_token"}))
            if data and data.step_request and record.state == TicketState.AWAITING_STEP_REPORT
            else None,
            step_reports=data.step_reports if data else [],
        )


class ResumeAccepted(BaseModel):
    ticket_id: str
    execution: str
    resumed_from: ResumeFrom
    checkpoint_sequence: int | None
    state: Literal["RESUMING"] = "RESUMING"
    links: dict[str, str]

    @staticmethod
    def of(started: ResumeStarted, links: dict[str, str]) -> ResumeAccepted:
        return ResumeAccepted(
            ticket_id=started.ticket_id,
            execution=started.execution,
            resumed_from=started.resumed_from,
            checkpoint_sequence=started.checkpoint_sequence,
            links=links,
        )


class TurnView(BaseModel):
    role: str
    text: str
    at: datetime

    @staticmethod
    def of(turn: Turn) -> TurnView:
        return TurnView(role=turn.role, text=turn.text, at=turn.at)


class ReplyView(BaseModel):
    ticket_id: str
    state: str
    reply: TurnView
    source: str
    fallback_reason: str = ""

    @staticmethod
    def of(answered: ConversationReply) -> ReplyView:
        return ReplyView(
            ticket_id=answered.ticket_id,
            state=answered.state,
            reply=TurnView.of(answered.reply),
            source=answered.source,
            fallback_reason=answered.fallback_reason,
        )


class ConversationView(BaseModel):
    ticket_id: str
    turns: list[TurnView]


class PendingApproval(BaseModel):
    """The confirmation page's content, for API clients (`Accept: application/json`)."""

    ticket_id: str
    state: str
    plan: ResolutionPlan | None
    round: int = 1
    max_rounds: int = 1
    # The decisions this round offers: the last round has no revise.
    decisions: list[str] = ["approve", "reject", "revise"]
    # Catalog actions `steps` may add to the plan.
    addable: list[str] = []


class DecisionRecorded(BaseModel):
    """The answer to a decision: the decision handed to the workflow, or, where the policy asks several
    approvers and more approvals are needed, the vote recorded (`decision` null) and the count so far."""

    ticket_id: str
    decision: Decision | None
    vote: Vote | None = None
    approvals: int = 1
    approvals_needed: int = 1
    links: dict[str, str]


class PendingConfirmation(BaseModel):
    """The question a confirmation link asks (GET with `Accept: application/json`); it decides nothing."""

    ticket_id: str
    state: str
    question: int
    plan: ResolutionPlan
    step_results: list[StepResult]
    expires_at: datetime
    answers: list[str] = ["yes", "no"]


class ConfirmationBody(BaseModel):
    """POST /confirmations/{ticket_id}: the customer's answer, as a form or JSON."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=1024)
    answer: Literal["yes", "no"] = Field(description="yes: 'Yes, it works'; no: 'No, it still happens'")
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS)


class ConfirmationRecorded(BaseModel):
    ticket_id: str
    answer: ConfirmationAnswer
    links: dict[str, str]


class PendingStepReport(BaseModel):
    """The step a step-report link asks about (GET with `Accept: application/json`); it decides nothing."""

    ticket_id: str
    state: str
    step: ResolutionStep
    kind: Literal["customer", "engineer"]
    expires_at: datetime
    outcomes: list[str] = ["done", "failed"]


class StepReportBody(BaseModel):
    """POST /steps/{ticket_id}: a person's report on the step they carried out, as a form or JSON."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=1024)
    outcome: Literal["done", "failed"] = Field(description="done: 'Done'; failed: 'Didn't help' (or 'Failed')")
    note: str = Field(default="", max_length=MAX_STEP_NOTE_CHARS)


class StepReportRecorded(BaseModel):
    ticket_id: str
    report: StepReport
    links: dict[str, str]
