"""The support domain's data: tickets, analyses, plans, decisions, step results.

Every model here crosses a boundary (API body, state-machine payload, checkpoint
blob), so each one is a pydantic model with explicit limits.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    field_validator,
    model_serializer,
)

# AgentCore Memory accepts actor ids of this shape; customer ids become actor ids.
CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
# Ticket ids are Step Functions execution names and AgentCore session ids at once.
TICKET_ID_PATTERN = r"^tkt-[0-9]{8}-[0-9a-f]{12}$"
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")

MAX_DESCRIPTION_CHARS = 5000
MAX_SUBJECT_CHARS = 200
MAX_COMMENT_CHARS = 1000
MAX_STEP_NOTE_CHARS = 500


def utc_now() -> datetime:
    """The current time, timezone-aware and in UTC (never naive local time)."""
    return datetime.now(UTC)


def utc_text(moment: datetime) -> str:
    """A moment as people read it in answers and notes: `2026-11-30 09:00:00 UTC`."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def canonical_json(value: object) -> bytes:
    """Stable JSON bytes for hashing: sorted keys, no whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def sha256_hex(value: object) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TicketState(StrEnum):
    """Where a ticket stands. Each change writes one checkpoint."""

    ANALYZING = "ANALYZING"
    FINDING_SOLUTION = "FINDING_SOLUTION"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    EXECUTING = "EXECUTING"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"
    # The customer's confirmation after the last step (issue 14 b; only where the stack asks for it).
    AWAITING_CONFIRMATION = "AWAITING_CONFIRMATION"
    RESOLVED = "RESOLVED"
    REOPENED = "REOPENED"
    CLOSED = "CLOSED"
    # Reopened more often than the stack allows: handed to a specialist, the workflow's part is over.
    ESCALATED = "ESCALATED"
    # A step the customer or the assigned engineer carries out waits for their report (issue 14 c).
    AWAITING_STEP_REPORT = "AWAITING_STEP_REPORT"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES


FINAL_STATES = frozenset(
    {
        TicketState.COMPLETED,
        TicketState.REJECTED,
        TicketState.EXPIRED,
        TicketState.FAILED,
        TicketState.CLOSED,
        TicketState.ESCALATED,
    }
)


class Category(StrEnum):
    NETWORK = "network"
    SOFTWARE = "software"
    HARDWARE = "hardware"
    ACCOUNT = "account"
    GENERAL = "general"


class Risk(StrEnum):
    """What is at stake when an action runs."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    def rank(self) -> int:
        return ("low", "medium", "high").index(self.value)


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def trimmed(value: str) -> str:
    return value.strip()


def trimmed_not_blank(value: str) -> str:
    """Trimmed text, refused when nothing is left."""
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


# The short name of a ticketing system (jira, zendesk, servicenow) and its id for the ticket.
EXTERNAL_SYSTEM_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,127}$"
MAX_EXTERNAL_URL_CHARS = 2048
# https, a host name (no user:password@), an optional port, then a path, query or fragment without spaces.
_HTTPS_LINK = re.compile(r"https://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?(?:[/?#][^\s]*)?")


class ExternalRef(Model):
    """Where the ticket lives in the team's ticketing system: kept in every checkpoint and event."""

    system: Annotated[str, StringConstraints(pattern=EXTERNAL_SYSTEM_PATTERN)]
    id: Annotated[str, StringConstraints(pattern=EXTERNAL_ID_PATTERN)]
    url: Annotated[str, StringConstraints(max_length=MAX_EXTERNAL_URL_CHARS)]

    @field_validator("url")
    @classmethod
    def _https_link(cls, value: str) -> str:
        if not _HTTPS_LINK.fullmatch(value):
            raise ValueError(
                "must be an https:// link to a host, without credentials or spaces, "
                "such as https://example.atlassian.net/browse/SUP-42"
            )
        return value


class NewTicket(Model):
    """What a ticket is made from: the customer and the issue, already checked at the boundary."""

    customer_id: str
    customer_email: str
    description: str
    subject: str = ""
    external_ref: ExternalRef | None = None


class Ticket(Model):
    ticket_id: Annotated[str, StringConstraints(pattern=TICKET_ID_PATTERN)]
    customer_id: str
    customer_email: str
    subject: str
    description: str
    submitted_at: datetime
    external_ref: ExternalRef | None = None

    @model_serializer(mode="wrap")
    def _without_absent_ref(self, serialize: SerializerFunctionWrapHandler) -> dict[str, object]:
        # A ticket without a reference serializes as it did before references existed, so
        # checkpoints sealed then keep their content hash.
        dumped: dict[str, object] = serialize(self)
        if dumped.get("external_ref") is None:
            dumped.pop("external_ref", None)
        return dumped


class Provenance(Model):
    """Who answered a workflow step, why, and what the model cost (kept in the checkpoints).

    `model_calls` counts agent invocations (at most one per step, so two per ticket);
    `model_requests` counts the Bedrock Converse requests inside them (a catalog lookup
    and the structured answer are two requests of one call).
    """

    source: Literal["model", "rules"] = "rules"
    model_id: str = ""
    fallback_reason: str = ""
    model_calls: int = Field(default=0, ge=0)
    model_requests: int = Field(default=0, ge=0)
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)


class Analysis(Model):
    """The triage of a ticket and the signals that decided it."""

    category: Category
    severity: Severity
    summary: str
    signals: list[str]
    explanation: str
    source: Literal["rules", "model"] = "rules"
    provenance: Provenance = Field(default_factory=Provenance)


class ResolutionStep(Model):
    action_id: str
    title: str
    instructions: str
    # The agent's wording of this step for this customer; empty when the catalog answered.
    note: str = ""
    # The approver's note for the engineer who carries the step out; empty when none was given.
    reviewer_note: Annotated[str, StringConstraints(max_length=MAX_STEP_NOTE_CHARS)] = ""


class ResolutionPlan(Model):
    """Ordered steps, each naming an action of the resolution catalog."""

    category: Category
    steps: list[ResolutionStep] = Field(min_length=1)
    customer_message: str
    # "reviewer": the steps an approver chose (an edit, or a revision without a model).
    source: Literal["catalog", "model", "reviewer"] = "catalog"
    provenance: Provenance = Field(default_factory=Provenance)

    @field_validator("steps")
    @classmethod
    def _each_action_once(cls, steps: list[ResolutionStep]) -> list[ResolutionStep]:
        ids = [s.action_id for s in steps]
        if len(ids) != len(set(ids)):
            raise ValueError("a plan names each action at most once")
        return steps

    @property
    def plan_hash(self) -> str:
        """What an approver approves: any change to the steps changes this.

        The provenance (which source answered, tokens) is bookkeeping, not part of the plan.
        An empty reviewer note is left out, so a plan without notes hashes as it always did.
        """
        dumped = self.model_dump(mode="json", exclude={"provenance"})
        for step in dumped["steps"]:
            if not step["reviewer_note"]:
                del step["reviewer_note"]
        return sha256_hex(dumped)

    @property
    def action_ids(self) -> list[str]:
        return [s.action_id for s in self.steps]


class PlanChanges(Model):
    """What an approver changed in the proposed plan (action ids)."""

    dropped: list[str] = Field(default_factory=list)
    added: list[str] = Field(default_factory=list)
    moved: list[str] = Field(default_factory=list)
    noted: list[str] = Field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.dropped or self.added or self.moved or self.noted)


Outcome = Literal["approved", "rejected", "changes_requested"]


class Vote(Model):
    """One approver's answer in one review round, stored the moment it is given (before the API answers)."""

    ticket_id: str
    round: int = Field(ge=1)
    approver: str
    outcome: Outcome
    # The plan this vote is for: the approved plan's hash (edits included) for an approval, else the proposed one's.
    plan_hash: str
    decided_at: datetime
    # Tells two clicks of one approver apart: only the vote stored first counts.
    nonce: str
    # When the request this vote answers began: a resumed run asks anew in the same round, with no votes.
    request_started: datetime | None = None


class Decision(Model):
    """An approver's decision, sent to the waiting workflow as the task output.

    `plan_hash` is the hash of the plan decided on: the approved plan (as edited) when
    approved, else the proposed one. `proposed_plan_hash` names the plan the approver was
    shown, so Execute can tell the decision belongs to the round the checkpoint holds.
    """

    outcome: Outcome
    plan_hash: str
    decided_at: datetime
    decided_by: str
    comment: Annotated[str, StringConstraints(max_length=MAX_COMMENT_CHARS)] = ""
    round: int = Field(default=1, ge=1)
    proposed_plan_hash: str = ""
    # approved: the plan that runs, exactly (the proposed one, or the approver's edit of it)
    approved_plan: ResolutionPlan | None = None
    changes: PlanChanges = Field(default_factory=PlanChanges)
    # rejected: why, and whether the customer may read it
    reason: Annotated[str, StringConstraints(max_length=MAX_COMMENT_CHARS)] = ""
    notify_customer: bool = False
    # changes_requested: what the approver wants, and the steps as they edited them (empty: as proposed)
    feedback: Annotated[str, StringConstraints(max_length=MAX_COMMENT_CHARS)] = ""
    requested_steps: list[str] = Field(default_factory=list)
    requested_notes: dict[str, str] = Field(default_factory=dict)
    # Where the policy asks several approvers: every vote the decision rests on.
    votes: list[Vote] = Field(default_factory=list)

    @property
    def shown_plan_hash(self) -> str:
        """The hash of the plan the approver was shown (older decisions carry only `plan_hash`)."""
        return self.proposed_plan_hash or self.plan_hash


class InstanceOutcome(Model):
    """What one managed instance reported for a device command (the output truncated)."""

    instance_id: str
    status: str
    output: str = ""


class StepResult(Model):
    action_id: str
    status: Literal["succeeded", "failed"]
    detail: str
    finished_at: datetime
    # Which executor ran it ("simulated", "identity", "device", ...; empty in checkpoints from before executors).
    executor: str = ""
    # A device command's status and truncated output per managed instance.
    instances: list[InstanceOutcome] = Field(default_factory=list)


class ApprovalRequest(Model):
    """What was asked of the approver, kept in the AWAITING_APPROVAL checkpoint."""

    task_token: str
    # The first of those asked (kept for checkpoints written before approval policies).
    approver_email: str
    requested_at: datetime
    link_expires_at: datetime
    round: int = Field(default=1, ge=1)
    # Who was asked (each got their own link), how many must approve the same plan, and by which policy rule.
    approvers: list[str] = Field(default_factory=list)
    approvals_needed: int = Field(default=1, ge=1)
    rule: str = ""
    group: str = ""
    plan_risk: Risk | None = None
    # The round's reminder and escalations done so far (of the rule's timeline), and whose links still work.
    steps_done: int = Field(default=0, ge=0)
    # How many times the round's wait was entered again after a timer step (0: the round's first request).
    entries: int = Field(default=0, ge=0)
    reminded_at: datetime | None = None
    escalated_to: list[str] = Field(default_factory=list)
    link_holders: list[str] = Field(default_factory=list)

    @property
    def asked(self) -> list[str]:
        return self.approvers or [self.approver_email]

    def same_request(self, other: ApprovalRequest | None) -> bool:
        """Whether `other` is this request, perhaps later: a request keeps its round and `requested_at` through
        its reminders and escalations; a resume or a retried first request asks anew."""
        return other is not None and (self.round, self.requested_at) == (other.round, other.requested_at)

    def own_votes(self, votes: list[Vote]) -> list[Vote]:
        """The votes that answer this request (a resumed run's request of the same round starts with none)."""
        return [v for v in votes if v.request_started in (None, self.requested_at)]

    @property
    def accepting(self) -> list[str]:
        """Those whose links decide: everyone asked, unless an escalation replaced the earlier links."""
        return self.link_holders or self.asked


class ApprovalRound(Model):
    """One round of review, closed by its decision: what was proposed, to whom, what they decided."""

    number: int = Field(ge=1)
    proposed_plan: ResolutionPlan
    approver_email: str
    requested_at: datetime
    decision: Decision


class FailureReport(Model):
    error: str
    cause: str
    failed_in: TicketState | None = None


class WorkflowRun(Model):
    """One run of a ticket's workflow: the first, then one per resume (`<ticket id>-rN`)."""

    name: str
    status: Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]
    started_at: datetime
    stopped_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.status == "RUNNING"


ConfirmationOutcome = Literal["resolved", "reopened"]


class ConfirmationRequest(Model):
    """The customer was asked "Is your issue resolved?" after the last step (the task token stays here)."""

    task_token: str
    number: int = Field(ge=1)  # the ticket's n-th question: one per executed plan
    requested_at: datetime
    link_expires_at: datetime


class ConfirmationAnswer(Model):
    """The customer's answer, sent to the waiting workflow as the task output. `comment` is the customer's
    own words: data for the next analysis, never an instruction."""

    outcome: ConfirmationOutcome
    comment: Annotated[str, StringConstraints(max_length=MAX_COMMENT_CHARS)] = ""
    answered_at: datetime
    number: int = Field(default=1, ge=1)


PersonKind = Literal["customer", "engineer"]
StepReportOutcome = Literal["done", "failed"]


class StepReportRequest(Model):
    """A person was asked to carry out one approved step and report back (the task token stays here).

    `number` is the sequence number of the AWAITING_STEP_REPORT checkpoint that first asked: unique within
    the ticket, so a link names the one request it answers, whatever the retries and reopenings."""

    task_token: str
    action_id: str
    kind: PersonKind
    recipient: str
    number: int = Field(ge=1)
    requested_at: datetime
    link_expires_at: datetime


class StepReport(Model):
    """A person's report on a step they carried out, sent to the waiting workflow as the task output.
    `note` is their own words: shown and kept as data, never an instruction."""

    action_id: str
    outcome: StepReportOutcome
    note: Annotated[str, StringConstraints(max_length=MAX_STEP_NOTE_CHARS)] = ""
    reported_at: datetime
    number: int = Field(ge=1)
    kind: PersonKind
