"""Checkpoints: the ticket's whole known state, written at every state change.

A checkpoint is cumulative (the latest one alone is enough to inspect or resume a
ticket) and self-verifying (its `content_hash` covers everything else in it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from .models import (
    Analysis,
    ApprovalRequest,
    ApprovalRound,
    ConfirmationAnswer,
    ConfirmationRequest,
    Decision,
    FailureReport,
    Model,
    ResolutionPlan,
    StepReport,
    StepReportRequest,
    StepResult,
    Ticket,
    TicketState,
    sha256_hex,
)

SCHEMA_VERSION = 1
_CONFIRMATION_DEFAULTS: dict[str, object] = {
    "confirmation": None,
    "earlier_rounds": [],
    "answers": [],
    "closing_note": "",
    "step_request": None,
    "step_reports": [],
}


class CheckpointData(Model):
    ticket: Ticket
    analysis: Analysis | None = None
    plan: ResolutionPlan | None = None
    plan_hash: str | None = None
    approval: ApprovalRequest | None = None
    decision: Decision | None = None
    step_results: list[StepResult] = Field(default_factory=list)
    failure: FailureReport | None = None
    # Every closed review round, oldest first; `plan` is the latest proposal, `approved_plan` what runs.
    rounds: list[ApprovalRound] = Field(default_factory=list)
    approved_plan: ResolutionPlan | None = None
    # The customer's confirmation: the question that waits (or waited), every answer so far (oldest first),
    # and why the ticket closed (no answer, escalated) in words.
    confirmation: ConfirmationRequest | None = None
    # A reopened ticket's earlier review rounds (oldest first): `rounds` starts again, so each approval
    # cycle has its own rounds and the max_approval_rounds bound.
    earlier_rounds: list[ApprovalRound] = Field(default_factory=list)
    answers: list[ConfirmationAnswer] = Field(default_factory=list)
    closing_note: str = ""
    # Person steps (issue 14 c): the step report that waits (or waited) for the customer or the engineer,
    # and every report received (oldest first).
    step_request: StepReportRequest | None = None
    step_reports: list[StepReport] = Field(default_factory=list)

    @model_serializer(mode="wrap")
    def _without_unasked_confirmation(self, serialize: SerializerFunctionWrapHandler) -> dict[str, object]:
        # Checkpoints sealed before confirmations existed keep their content hash: the fields appear once set.
        dumped: dict[str, object] = serialize(self)
        for name, empty in _CONFIRMATION_DEFAULTS.items():
            if dumped.get(name, empty) == empty:
                dumped.pop(name, None)
        return dumped

    @property
    def reopenings(self) -> int:
        return sum(1 for a in self.answers if a.outcome == "reopened")

    def follow_ups(self) -> list[str]:
        """What the customer wrote each time they said the issue still happens (their words: data)."""
        return [a.comment for a in self.answers if a.outcome == "reopened" and a.comment]

    @property
    def current_round(self) -> int:
        """The number of the review round under way (or about to be): one after those closed."""
        return len(self.rounds) + 1

    def carried_into(self, state: TicketState) -> CheckpointData:
        """What the next checkpoint starts from: a failure stays with its FAILED checkpoint
        (a resumed ticket leaves it behind; the history still shows it)."""
        if state is TicketState.FAILED or self.failure is None:
            return self
        return self.model_copy(update={"failure": None})

    def succeeded_actions(self) -> set[str]:
        return {r.action_id for r in self.step_results if r.status == "succeeded"}


class Checkpoint(Model):
    schema_version: int = SCHEMA_VERSION
    ticket_id: str
    state: TicketState
    sequence: int = Field(ge=1)
    created_at: datetime
    # Identifies the workflow step that wrote it, so a retried step writes nothing new.
    step_key: str
    data: CheckpointData
    content_hash: str

    @staticmethod
    def seal(
        *,
        ticket_id: str,
        state: TicketState,
        sequence: int,
        created_at: datetime,
        step_key: str,
        data: CheckpointData,
    ) -> Checkpoint:
        unsealed = Checkpoint(
            ticket_id=ticket_id,
            state=state,
            sequence=sequence,
            created_at=created_at,
            step_key=step_key,
            data=data,
            content_hash="",
        )
        return unsealed.model_copy(update={"content_hash": unsealed.computed_hash()})

    def computed_hash(self) -> str:
        return sha256_hex(self.model_dump(mode="json", exclude={"content_hash"}))

    def verify(self) -> bool:
        """True when nothing in the checkpoint changed since it was sealed."""
        return self.computed_hash() == self.content_hash


def in_order(checkpoints: Iterable[Checkpoint]) -> list[Checkpoint]:
    """Oldest first, one per sequence number (a duplicated write counts once)."""
    by_sequence: dict[int, Checkpoint] = {}
    for c in checkpoints:
        kept = by_sequence.get(c.sequence)
        if kept is None or c.created_at > kept.created_at:
            by_sequence[c.sequence] = c
    return [by_sequence[s] for s in sorted(by_sequence)]


def successor(
    current: Checkpoint | None,
    *,
    ticket: Ticket,
    state: TicketState,
    step_key: str,
    changes: Mapping[str, Any],
    now: datetime,
) -> Checkpoint | None:
    """The checkpoint a step writes on entering `state`, carrying the latest data forward.

    `changes` replaces fields of the data. None when `current` was written by this same
    step (`step_key`): a retried step writes nothing again.
    """
    if current is not None and current.step_key == step_key:
        return None
    base = current.data.carried_into(state) if current is not None else CheckpointData(ticket=ticket)
    return Checkpoint.seal(
        ticket_id=ticket.ticket_id,
        state=state,
        sequence=(current.sequence + 1) if current is not None else 1,
        created_at=now,
        step_key=step_key,
        data=CheckpointData.model_validate({**base.model_dump(), **changes}),
    )
