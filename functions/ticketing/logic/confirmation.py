"""The customer's confirmation after the last step: "Is your issue resolved?", answered once.

The workflow asks (Await confirmation, a task-token wait) and records the answer
(Record confirmation); the API shows the question through a signed link (GET decides
nothing) and hands the answer to the waiting task (POST). As for approvals, Step
Functions keeps the answer exactly-once and the API never writes checkpoints. See the
README section "The customer's confirmation".
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel

from ..domain import notifications
from ..domain.approval_link import CONFIRMATION_PURPOSE
from ..domain.checkpoint import Checkpoint
from ..domain.errors import (
    AlreadyAnswered,
    ConfirmationClosed,
    ConfirmationLinkExpired,
    ConfirmationLinkInvalid,
    PlanNotApproved,
    TaskNoLongerWaiting,
)
from ..domain.models import (
    ConfirmationAnswer,
    ConfirmationOutcome,
    ConfirmationRequest,
    ResolutionPlan,
    Ticket,
    TicketState,
    utc_now,
    utc_text,
)
from ..domain.task_payloads import RecordConfirmationTask, RequestConfirmationTask
from ..ports import Services
from .checkpoints import checkpoint_after, latest_checkpoint, record_checkpoint
from .signed_links import open_link

# The states a ticket is in once the plan ran and the customer is (or was) asked.
_ASKED_FROM = (TicketState.COMPLETED, TicketState.AWAITING_CONFIRMATION)
_ENDED = (TicketState.CLOSED, TicketState.ESCALATED)


def confirmation_link(base_url: str, ticket_id: str, token: str) -> str:
    return f"{base_url}/confirmations/{ticket_id}?token={quote(token, safe='')}"


def _plan_that_ran(latest: Checkpoint) -> ResolutionPlan:
    plan = latest.data.approved_plan or latest.data.plan
    if plan is None:
        raise PlanNotApproved(f"Ticket {latest.ticket_id} has no executed plan to ask the customer about.")
    return plan


# The workflow's side -----------------------------------------------------------------------------------


def request_confirmation(services: Services, task: RequestConfirmationTask) -> dict[str, str]:
    """Save AWAITING_CONFIRMATION with the task token, and email the customer their signed link."""
    settings = services.settings
    latest = latest_checkpoint(services.checkpoints, task.ticket)
    if latest.state not in _ASKED_FROM:
        raise PlanNotApproved(f"Ticket {task.ticket.ticket_id} is {latest.state.value}; no plan ran to confirm.")
    plan = _plan_that_ran(latest)
    number = len(latest.data.answers) + 1
    asked = latest.data.confirmation
    now = utc_now()
    # A retried attempt carries a new task token; the question (and its deadline) stays the same.
    requested_at = asked.requested_at if asked is not None and asked.number == number else now
    request = ConfirmationRequest(
        task_token=task.task_token,
        number=number,
        requested_at=requested_at,
        link_expires_at=requested_at + timedelta(seconds=settings.confirmation_timeout_seconds),
    )
    digest = hashlib.sha256(task.task_token.encode()).hexdigest()[:16]
    checkpoint = record_checkpoint(
        services.checkpoints,
        task.ticket,
        TicketState.AWAITING_CONFIRMATION,
        task.checkpoint_key("AWAITING_CONFIRMATION", f"q-{number}", digest),
        after=latest,
        confirmation=request,
    )
    token = services.signer.issue(
        ticket_id=task.ticket.ticket_id,
        checkpoint_hash=checkpoint.content_hash,
        plan_hash=plan.plan_hash,
        expires_at=request.link_expires_at,
        round=number,
        purpose=CONFIRMATION_PURPOSE,
    )
    email = notifications.confirmation_request(
        ticket=task.ticket,
        plan=plan,
        link=confirmation_link(settings.base_url, task.ticket.ticket_id, token),
        expires_at=request.link_expires_at,
        reopenings_left=settings.max_reopenings - latest.data.reopenings,
    )
    return {"message_id": services.mailer.send(email), "checkpoint_hash": checkpoint.content_hash}


class ConfirmationReport(BaseModel):
    """What Record confirmation did; the state machine's Choice reads `state`."""

    state: Literal["CLOSED", "REOPENED", "ESCALATED"]
    reopenings: int = 0


def record_confirmation(services: Services, task: RecordConfirmationTask) -> ConfirmationReport:
    """Record the customer's answer (or its absence) and what follows: closed, reopened, or escalated."""
    ticket, answer = task.ticket, task.answer
    latest = latest_checkpoint(services.checkpoints, ticket)
    if latest.state in _ENDED or latest.state is TicketState.REOPENED:
        # A retry after the last write: everything this step does before it was done.
        return ConfirmationReport(state=latest.state.value, reopenings=latest.data.reopenings)  # type: ignore[arg-type]
    asked = latest.data.confirmation
    if asked is None:
        raise PlanNotApproved(f"Ticket {ticket.ticket_id} was never asked to confirm; nothing to record.")
    number = asked.number
    key = f"q-{number}"
    if answer is None:
        note = (
            f"Closed without an answer: the customer was asked at {utc_text(asked.requested_at)} whether the issue "
            f"was resolved and did not answer within {services.settings.confirmation_timeout_seconds} seconds."
        )
        # The customer hears it before the final checkpoint (at least once).
        services.mailer.send(notifications.unanswered_notice(ticket=ticket))
        record_checkpoint(
            services.checkpoints,
            ticket,
            TicketState.CLOSED,
            task.checkpoint_key("CLOSED", key),
            after=latest,
            closing_note=note,
        )
        return ConfirmationReport(state="CLOSED", reopenings=latest.data.reopenings)
    answer = answer.model_copy(update={"number": number})
    answers = [*[a for a in latest.data.answers if a.number != number], answer]
    if answer.outcome == "resolved":
        resolved = record_checkpoint(
            services.checkpoints,
            ticket,
            TicketState.RESOLVED,
            task.checkpoint_key("RESOLVED", key),
            after=latest,
            answers=answers,
        )
        services.mailer.send(notifications.resolved_notice(ticket=ticket))
        record_checkpoint(
            services.checkpoints,
            ticket,
            TicketState.CLOSED,
            task.checkpoint_key("CLOSED", key),
            after=resolved,
            closing_note=(
                f"Closed: the customer confirmed at {utc_text(answer.answered_at)} that the issue is resolved."
            ),
        )
        return ConfirmationReport(state="CLOSED", reopenings=latest.data.reopenings)
    reopenings = latest.data.reopenings + 1
    settings = services.settings
    if reopenings > settings.max_reopenings:
        specialist = settings.specialist_email or settings.operator_email
        services.mailer.send(
            notifications.specialist_escalation(
                ticket=ticket, answers=answers, plan=_plan_that_ran(latest), recipients=(specialist,)
            )
        )
        services.mailer.send(notifications.escalated_customer_notice(ticket=ticket))
        record_checkpoint(
            services.checkpoints,
            ticket,
            TicketState.ESCALATED,
            task.checkpoint_key("ESCALATED", key),
            after=latest,
            answers=answers,
            closing_note=(
                f"Escalated to {specialist}: the customer said the issue still happens after {reopenings} "
                f"executed plans (at most {settings.max_reopenings} reopenings are allowed)."
            ),
        )
        return ConfirmationReport(state="ESCALATED", reopenings=reopenings)
    # Back to analysis and planning: this cycle's decision, plan and results move out of the way (the
    # trail keeps them), its rounds join the earlier ones, and the customer's words go along as data.
    # The customer hears it first: a retry after the write finds REOPENED and sends nothing (at least once).
    services.mailer.send(notifications.reopened_notice(ticket=ticket))
    record_checkpoint(
        services.checkpoints,
        ticket,
        TicketState.REOPENED,
        task.checkpoint_key("REOPENED", key),
        after=latest,
        answers=answers,
        earlier_rounds=[*latest.data.earlier_rounds, *latest.data.rounds],
        rounds=[],
        approval=None,
        decision=None,
        approved_plan=None,
        step_results=[],
        confirmation=None,
        step_request=None,
    )
    return ConfirmationReport(state="REOPENED", reopenings=reopenings)


# The customer's side (the API) -------------------------------------------------------------------------


class ConfirmationReview(BaseModel):
    """What the confirmation page shows; it decides nothing."""

    ticket: Ticket
    checkpoint: Checkpoint
    plan: ResolutionPlan
    token: str
    number: int
    expires_at: datetime


def _open(services: Services, ticket_id: str, token: str, now: datetime) -> tuple[Ticket, Checkpoint, int, bool]:
    """The ticket, its latest checkpoint, the question the link asks, and whether the workflow runs."""
    opened = open_link(
        services,
        ticket_id,
        token,
        now,
        purpose=CONFIRMATION_PURPOSE,
        invalid=ConfirmationLinkInvalid(
            "This link is not valid. Use the link from the most recent email about your ticket, unchanged. "
            "Nothing was changed."
        ),
        expired=ConfirmationLinkExpired(
            "This link has expired, so the question it asked is closed. Nothing was changed."
        ),
    )
    return opened.ticket, opened.latest, opened.number, opened.running


def _answered(latest: Checkpoint, number: int) -> ConfirmationAnswer | None:
    return next((a for a in latest.data.answers if a.number == number), None)


_SAID = {"resolved": "that the issue is resolved", "reopened": "that the issue still happens"}


def _already_answered(answer: ConfirmationAnswer) -> AlreadyAnswered:
    return AlreadyAnswered(
        f"You already answered {_SAID[answer.outcome]} at {utc_text(answer.answered_at)}. Nothing was changed."
    )


def _require_waiting(latest: Checkpoint, number: int, running: bool) -> ConfirmationRequest:
    """The question this link asks, while it waits; else why not (answered 409, closed or replaced 410)."""
    asked = latest.data.confirmation
    if latest.state is TicketState.AWAITING_CONFIRMATION and asked is not None and asked.number == number:
        if not running:
            raise ConfirmationClosed("This ticket's workflow no longer waits for your answer. Nothing was changed.")
        return asked
    answer = _answered(latest, number)
    if answer is not None:
        raise _already_answered(answer)
    if latest.state is TicketState.CLOSED and latest.data.closing_note.startswith("Closed without an answer"):
        raise ConfirmationClosed(
            "This question closed without an answer, and the ticket was closed. If the problem is still there, "
            "open a new ticket. Nothing was changed."
        )
    raise ConfirmationClosed(
        f"This link no longer asks anything: the ticket is {latest.state.value}. Use the link in the most "
        "recent email. Nothing was changed."
    )


def review(services: Services, ticket_id: str, token: str) -> ConfirmationReview:
    _, latest, number, running = _open(services, ticket_id, token, utc_now())
    asked = _require_waiting(latest, number, running)
    return ConfirmationReview(
        ticket=latest.data.ticket,
        checkpoint=latest,
        plan=_plan_that_ran(latest),
        token=token,
        number=number,
        expires_at=asked.link_expires_at,
    )


def answer(
    services: Services, ticket_id: str, token: str, outcome: ConfirmationOutcome, comment: str
) -> ConfirmationAnswer:
    """Hand the customer's answer to the waiting workflow, once."""
    now = utc_now()
    ticket, latest, number, running = _open(services, ticket_id, token, now)
    asked = _require_waiting(latest, number, running)
    given = ConfirmationAnswer(outcome=outcome, comment=comment.strip(), answered_at=now, number=number)
    try:
        services.workflow.send_answer(asked.task_token, given)
    except TaskNoLongerWaiting:
        raise _why_refused(services, ticket, latest, asked) from None
    return given


def _why_refused(
    services: Services, ticket: Ticket, waited: Checkpoint, asked: ConfirmationRequest
) -> AlreadyAnswered | ConfirmationClosed:
    """Step Functions refused the answer: someone answered first, or the question timed out."""
    current = checkpoint_after(services.checkpoints, ticket, waited)
    recorded = _answered(current, asked.number)
    if recorded is not None:
        return _already_answered(recorded)
    if utc_now() >= asked.requested_at + timedelta(seconds=services.settings.confirmation_timeout_seconds):
        return ConfirmationClosed("This question closed without an answer before yours arrived. Nothing was changed.")
    return AlreadyAnswered("This question was already answered a moment ago. Nothing was changed.")
