"""What the state machine passes to each step (the JSON paths are set in infra/)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .models import Analysis, Decision, ResolutionPlan, StepResult, Ticket


class StepInput(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    ticket: Ticket
    execution_id: str = Field(min_length=1)

    @property
    def execution_name(self) -> str:
        return self.execution_id.rsplit(":", 1)[-1]

    def step_key(self, *parts: str) -> str:
        return "/".join((self.execution_name, *parts))


class AnalyzeInput(StepInput):
    pass


class FindResolutionInput(StepInput):
    analysis: Analysis


class RequestApprovalInput(StepInput):
    analysis: Analysis
    plan: ResolutionPlan
    task_token: str = Field(min_length=1)


class ExecuteInput(StepInput):
    decision: Decision


class TaskError(BaseModel):
    """A Catch's error output (`{"Error": ..., "Cause": ...}`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    Error: str = "Unknown"
    Cause: str = ""


class CloseInput(StepInput):
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


class ClosingReport(BaseModel):
    state: str
    notified: list[str]
