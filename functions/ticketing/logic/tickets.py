"""Ticket intake and where a ticket stands, in terms of the ports."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..domain.checkpoint import Checkpoint
from ..domain.errors import IdempotencyKeyReused, TicketIdTaken, TicketNotFound, WorkflowUnavailable
from ..domain.models import TICKET_ID_PATTERN, NewTicket, Ticket, Vote, WorkflowRun, sha256_hex, utc_now
from ..ports import Services

_TICKET_ID = re.compile(TICKET_ID_PATTERN)


def new_ticket_id(now: datetime) -> str:
    return f"tkt-{now:%Y%m%d}-{secrets.token_hex(6)}"


def require_ticket_id(ticket_id: str) -> str:
    """Refuse anything that is not a ticket id before it reaches a store or an ARN."""
    if not _TICKET_ID.fullmatch(ticket_id):
        raise TicketNotFound(ticket_id[:80])
    return ticket_id


def _ticket(request: NewTicket, ticket_id: str, submitted_at: datetime) -> Ticket:
    return Ticket.model_validate({"ticket_id": ticket_id, "submitted_at": submitted_at, **request.model_dump()})


def idempotency_key_for(request: NewTicket, given: str | None) -> str | None:
    """The key a submission is made once under: the client's, else one derived from its external reference.

    A ticketing system that retries its webhook (same system, same id) so creates one ticket.
    """
    if given is not None or request.external_ref is None:
        return given
    return f"external-ref:{request.external_ref.system}:{request.external_ref.id}"


@dataclass(frozen=True)
class Submission:
    ticket: Ticket
    replayed: bool


def submit_ticket(services: Services, request: NewTicket) -> Submission:
    """Create the ticket and start its workflow (the run is named after it)."""
    now = utc_now()
    ticket = _ticket(request, new_ticket_id(now), now)
    try:
        services.workflow.start(ticket)
    except TicketIdTaken as collided:  # 48 random bits collided: refuse rather than answer for another ticket
        raise WorkflowUnavailable(
            "The ticket could not be started right now; nothing was created. Please try again."
        ) from collided
    return Submission(ticket=ticket, replayed=False)


def idempotent_ticket_id(customer_id: str, idempotency_key: str, day: datetime) -> str:
    """The ticket id a client's key stands for on a given day (same key, same customer: same id)."""
    digest = hashlib.sha256(f"{customer_id}\n{idempotency_key}".encode()).hexdigest()[:12]
    return f"tkt-{day:%Y%m%d}-{digest}"


def submit_ticket_once(services: Services, request: NewTicket, idempotency_key: str) -> Submission:
    """Submit, or find the ticket this key already submitted; a retry starts nothing new.

    The key is remembered without a data store: it names the run (the ticket id is
    derived from it), and the run's input keeps a fingerprint of the request. Looking
    back one day keeps a retry across midnight on the same ticket.
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
    except TicketIdTaken:  # a concurrent retry with the same key started it first
        found = services.workflow.submission(ticket.ticket_id)
        assert found is not None, "a run that exists can be found"
        return _replay(*found, fingerprint)
    return Submission(ticket=ticket, replayed=False)


def _replay(ticket: Ticket, started_with: str | None, fingerprint: str) -> Submission:
    if started_with != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different ticket. "
            "Use a new key for a new ticket, and the same key only to retry the same request."
        )
    return Submission(ticket=ticket, replayed=True)


@dataclass(frozen=True)
class TicketRecord:
    """Everything known about a ticket: as submitted, its runs, its checkpoints, its state."""

    ticket: Ticket
    runs: list[WorkflowRun]
    history: list[Checkpoint]
    state: str
    # The votes so far of the round waiting for several approvers (empty otherwise).
    votes: list[Vote] = field(default_factory=list)

    @property
    def latest(self) -> Checkpoint | None:
        return self.history[-1] if self.history else None


def ticket_record(services: Services, ticket_id: str) -> TicketRecord:
    ticket, runs = services.workflow.runs(require_ticket_id(ticket_id))
    history = services.checkpoints.history(ticket.ticket_id, ticket.customer_id)
    latest = history[-1] if history else None
    state = ticket_state(latest, runs[-1])
    approval = latest.data.approval if latest is not None else None
    votes: list[Vote] = []
    if state == "AWAITING_APPROVAL" and approval is not None and approval.approvals_needed > 1:
        votes = approval.own_votes(services.votes.votes(ticket.ticket_id, ticket.customer_id, approval.round))
    return TicketRecord(ticket=ticket, runs=runs, history=history, state=state, votes=votes)


def ticket_state(latest: Checkpoint | None, newest_run: WorkflowRun) -> str:
    """The ticket's state: its newest checkpoint's, unless the workflow ended without a final one.

    `RECEIVED`: started, no checkpoint yet. `RESUMING`: a resumed run is under way and
    has not written its first checkpoint. `WORKFLOW_<status>`: the run stopped (aborted,
    timed out, or failed while closing) and no final checkpoint says why.
    """
    if newest_run.running:
        # A run that wrote the final checkpoint itself is closing (sending notices, retrying), not resuming.
        if latest is not None and latest.state.is_final and not _written_by(latest, newest_run):
            return "RESUMING"
        return latest.state.value if latest else "RECEIVED"
    if latest is not None and latest.state.is_final:
        return latest.state.value
    return f"WORKFLOW_{newest_run.status}"


def _written_by(checkpoint: Checkpoint, run: WorkflowRun) -> bool:
    """Whether one of `run`'s steps wrote `checkpoint` (`WorkflowTask.checkpoint_key` starts with the run's name)."""
    return checkpoint.step_key.split("/", 1)[0] == run.name
