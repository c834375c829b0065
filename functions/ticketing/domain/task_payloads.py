"""What the state machine passes to each task and what the tasks return (the JSON paths are set in infra/)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .models import Analysis, ConfirmationAnswer, Decision, ResolutionPlan, StepResult, Ticket


class WorkflowTask(BaseModel):
    """The part of every task's payload that names the ticket and the run."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    ticket: Ticket
    execution_id: str = Field(min_length=1)

    @property
    def execution_name(self) -> str:
        return self.execution_id.rsplit(":", 1)[-1]

    def checkpoint_key(self, *parts: str) -> str:
        """Names the checkpoint this task writes, so a retried attempt finds its own."""
        return "/".join((self.execution_name, *parts))


class AnalyzeTask(WorkflowTask):
    pass


class FindResolutionTask(WorkflowTask):
    analysis: Analysis


class RevisePlanTask(WorkflowTask):
    analysis: Analysis
    plan: ResolutionPlan
    decision: Decision


class ApprovalWait(BaseModel):
    """What Approval timer decided: how long Await approval waits next, and what is due before it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    seconds: int = Field(ge=1)
    expired: bool = False
    # The policy approved the plan itself (every action low risk, where a rule allows it).
    auto: bool = False
    decision: Decision | None = None
    # "remind" or "escalate" (with the next group) when a step of the rule's timeline is due now.
    due: str = ""
    due_group: str = ""
    # 0: the round's first request (everyone asked gets a link); n: the n-th wait after a timer step.
    entry: int = Field(default=0, ge=0)


class ApprovalTimerTask(WorkflowTask):
    analysis: Analysis
    plan: ResolutionPlan


class RequestApprovalTask(WorkflowTask):
    analysis: Analysis
    plan: ResolutionPlan
    task_token: str = Field(min_length=1)
    # Absent in payloads from before reminders: a new round's request.
    wait: ApprovalWait | None = None


class ExecuteTask(WorkflowTask):
    decision: Decision
    # After Await step report: the person's report (a StepReport), or the wait's timeout error
    # (`{"Error": "States.Timeout", ...}`); empty on the way in from the decision.
    step_report: dict[str, Any] = Field(default_factory=dict)


class RequestStepReportTask(WorkflowTask):
    """Await step report: ask the customer or the engineer to carry out one step and report back."""

    action_id: str = Field(min_length=1)
    kind: Literal["customer", "engineer"]
    task_token: str = Field(min_length=1)


class RequestConfirmationTask(WorkflowTask):
    """Await confirmation: ask the customer whether the executed plan resolved the issue."""

    task_token: str = Field(min_length=1)


class RecordConfirmationTask(WorkflowTask):
    """The customer's answer (None: nobody answered within the confirmation timeout)."""

    answer: ConfirmationAnswer | None = None


class TaskError(BaseModel):
    """A Catch's error output (`{"Error": ..., "Cause": ...}`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    Error: str = "Unknown"
    Cause: str = ""


class CloseTask(WorkflowTask):
    outcome: Literal["REJECTED", "EXPIRED", "FAILED"]
    decision: Decision | None = None
    error: TaskError | None = None
    # The workflow's state when a step failed (Handle failure passes it whole).
    snapshot: dict[str, Any] = Field(default_factory=dict)

    def decision_made(self) -> Decision | None:
        """The approver's decision, if one was made before the ticket closed."""
        if self.decision is not None:
            return self.decision
        try:
            return Decision.model_validate(self.snapshot["decision"])
        except (KeyError, ValidationError):
            return None


class ExecutionReport(BaseModel):
    plan_hash: str
    executor: str
    step_results: list[StepResult]
    # False when a retried Execute found the ticket already COMPLETED and did nothing.
    completed_now: bool = True
    # A person step stopped the run here: Await step report asks for it, then Execute carries on.
    waiting_on: str = ""
    waiting_kind: str = ""


class ClosingReport(BaseModel):
    state: str
    notified: list[str]
