"""Continue a stopped ticket from its latest checkpoint."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.resume import ResumeFrom, resume_input, resume_point
from ..ports import Services
from .tickets import require_ticket_id


@dataclass(frozen=True)
class ResumeStarted:
    ticket_id: str
    execution: str
    resumed_from: ResumeFrom
    checkpoint_sequence: int | None


def resume_ticket(services: Services, ticket_id: str) -> ResumeStarted:
    """Start the ticket's next run at the first step without a recorded result.

    Nothing writes a checkpoint here: the resumed run's first step does, and a new
    approval request gets a new link (the old one names a checkpoint that is no
    longer the one waiting, so it stays dead).
    """
    ticket, runs = services.workflow.runs(require_ticket_id(ticket_id))
    newest = runs[-1]
    history = services.checkpoints.history(ticket.ticket_id, ticket.customer_id)
    latest = history[-1] if history else None
    start_from = resume_point(latest, newest.running)
    payload = resume_input(ticket, latest, start_from, newest.name)
    name = services.workflow.start_resumed(
        ticket.ticket_id, len(runs), payload.model_dump(mode="json", by_alias=True, exclude_none=True)
    )
    return ResumeStarted(
        ticket_id=ticket.ticket_id,
        execution=name,
        resumed_from=start_from,
        checkpoint_sequence=payload.resume.checkpoint_sequence,
    )
