"""Where a stopped ticket continues when it is resumed from its latest checkpoint.

Pure rules: the checkpoint says what is already known (analysis, plan, decision,
step results), and a resumed execution starts at the first step whose result is
not recorded. Nothing is analysed twice, an undecided plan is put to the approver
again (with a new link), and an approved plan continues under its approval.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from .checkpoint import Checkpoint
from .errors import ResumeRefused
from .models import Analysis, Decision, Model, ResolutionPlan, Ticket, TicketState

# The values the state machine's "Resume from?" Choice knows (infra/components/workflow.py).
ResumeFrom = Literal["analysis", "resolution", "approval", "decision"]


class ResumeMarker(Model):
    """`$.resume` in a resumed execution's input."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True)

    start_from: ResumeFrom = Field(alias="from")
    previous_execution: str
    checkpoint_sequence: int | None = None


class ResumeInput(Model):
    """A resumed execution's input: the ticket, where to start, and what the checkpoint holds."""

    ticket: Ticket
    resume: ResumeMarker
    analysis: Analysis | None = None
    plan: ResolutionPlan | None = None
    decision: Decision | None = None


# Ended well, or the plan ran and only the customer's answer was missing (a new ticket asks again).
_NOT_RESUMABLE = frozenset(
    {
        TicketState.COMPLETED,
        TicketState.REJECTED,
        TicketState.AWAITING_CONFIRMATION,
        TicketState.RESOLVED,
        TicketState.CLOSED,
        TicketState.ESCALATED,
    }
)


def resume_point(latest: Checkpoint | None, workflow_running: bool) -> ResumeFrom:
    """The step a resumed execution starts at, or `ResumeRefused` when there is nothing to resume."""
    if workflow_running:
        raise ResumeRefused(
            "This ticket's workflow is still running; there is nothing to resume. Check its state later."
        )
    if latest is None:
        return "analysis"
    if latest.state in _NOT_RESUMABLE:
        raise ResumeRefused(
            f"This ticket is {latest.state.value}; only an expired, failed or stopped ticket can be resumed."
        )
    data = latest.data
    if data.decision is not None:
        return "decision"
    if data.analysis is not None and data.plan is not None:
        return "approval"
    if data.analysis is not None:
        return "resolution"
    return "analysis"


def resume_input(ticket: Ticket, latest: Checkpoint | None, start_from: ResumeFrom, previous: str) -> ResumeInput:
    """What the resumed execution starts with: only what its first step and those after it need."""
    data = latest.data if latest is not None else None
    marker = ResumeMarker.model_validate(
        {
            "from": start_from,
            "previous_execution": previous,
            "checkpoint_sequence": latest.sequence if latest is not None else None,
        }
    )
    return ResumeInput(
        ticket=ticket,
        resume=marker,
        analysis=data.analysis if data is not None and start_from != "analysis" else None,
        plan=data.plan if data is not None and start_from in ("approval", "decision") else None,
        decision=data.decision if data is not None and start_from == "decision" else None,
    )
