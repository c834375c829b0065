"""The approver's side: review a plan through a signed link, then decide once.

Step Functions is the arbiter of "once": only the first result sent for a task
token is accepted, so two clicks (or an approve racing a reject) yield one
decision, and the loser is told the ticket was already decided. The API never
writes checkpoints; the step that runs after the decision records it.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from ..domain.approval_link import ApprovalClaims
from ..domain.checkpoint import Checkpoint
from ..domain.errors import (
    AlreadyDecided,
    ApprovalExpired,
    ApprovalLinkInvalid,
    ApprovalWindowClosed,
    TaskNoLongerWaiting,
)
from ..domain.models import Decision, Ticket, TicketState, utc_now
from ..ports import Services
from .checkpoints import latest_checkpoint
from .tickets import require_ticket_id


class ApprovalReview(BaseModel):
    """What the confirmation page shows; it decides nothing."""

    ticket: Ticket
    checkpoint: Checkpoint
    token: str


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _expired() -> ApprovalExpired:
    return ApprovalExpired(
        "This approval request expired before anyone decided, so nothing was run. Nothing was changed."
    )


def _already_decided(decision: Decision) -> AlreadyDecided:
    return AlreadyDecided(
        f"This ticket was already {decision.outcome} at {_when(decision.decided_at)} "
        f"by {decision.decided_by or 'the approver'} through the approval link. Nothing was changed.",
        outcome=decision.outcome,
        decided_at=decision.decided_at,
    )


def _require_pending(latest: Checkpoint, claims: ApprovalClaims, workflow_running: bool) -> None:
    """Raise unless the checkpoint this link was issued for is still the one waiting."""
    if latest.state is TicketState.AWAITING_APPROVAL and latest.content_hash == claims.checkpoint_hash:
        if latest.data.plan_hash != claims.plan_hash:
            raise ApprovalLinkInvalid("This approval link does not match the proposed plan. Nothing was changed.")
        if not workflow_running:
            raise ApprovalWindowClosed(
                "This ticket's workflow is no longer waiting for a decision (it was stopped or timed out). "
                "Nothing was changed."
            )
        return
    if latest.data.decision is not None:
        raise _already_decided(latest.data.decision)
    if latest.state is TicketState.EXPIRED:
        raise _expired()
    if latest.state is TicketState.AWAITING_APPROVAL:
        raise ApprovalWindowClosed(
            "A newer approval request replaced this link. Use the link in the most recent email."
        )
    raise AlreadyDecided(
        f"This ticket is no longer waiting for approval (it is {latest.state.value}). Nothing was changed."
    )


def _open(
    services: Services, ticket_id: str, token: str, now: datetime
) -> tuple[Ticket, Checkpoint, ApprovalClaims, bool]:
    require_ticket_id(ticket_id)
    claims = services.signer.verify(token, ticket_id=ticket_id, now=now)
    ticket, runs = services.workflow.runs(ticket_id)
    return ticket, latest_checkpoint(services.checkpoints, ticket), claims, runs[-1].running


def review(services: Services, ticket_id: str, token: str) -> ApprovalReview:
    ticket, latest, claims, running = _open(services, ticket_id, token, utc_now())
    _require_pending(latest, claims, running)
    return ApprovalReview(ticket=ticket, checkpoint=latest, token=token)


def decide(
    services: Services,
    ticket_id: str,
    token: str,
    outcome: Literal["approved", "rejected"],
    comment: str = "",
) -> Decision:
    now = utc_now()
    ticket, latest, claims, running = _open(services, ticket_id, token, now)
    _require_pending(latest, claims, running)
    approval = latest.data.approval
    assert approval is not None, "an AWAITING_APPROVAL checkpoint always holds its approval request"
    decision = Decision(
        outcome=outcome,
        plan_hash=claims.plan_hash,
        decided_at=now,
        decided_by=approval.approver_email,
        comment=comment,
    )
    try:
        services.workflow.send_decision(approval.task_token, decision)
    except TaskNoLongerWaiting:
        raise _why_closed(services, ticket, now) from None
    return decision


# After a decision is accepted, the next step records it within moments; a second click
# that lost the race waits this long to say who decided and when.
_DECISION_VISIBLE_WITHIN = (0.1, 0.2, 0.4, 0.8)


def _why_closed(services: Services, ticket: Ticket, now: datetime) -> Exception:
    """Step Functions refused the result: say whether someone decided first or time ran out."""
    current = latest_checkpoint(services.checkpoints, ticket)
    for pause in _DECISION_VISIBLE_WITHIN:
        if current.data.decision is not None or current.state is not TicketState.AWAITING_APPROVAL:
            break
        time.sleep(pause)
        current = latest_checkpoint(services.checkpoints, ticket)
    if current.data.decision is not None:
        return _already_decided(current.data.decision)
    approval = current.data.approval
    # Step Functions says TaskTimedOut both to a late click and to the loser of a race: once the
    # wait's deadline has passed with no decision recorded, it was the timeout.
    wait = timedelta(seconds=services.settings.approval_timeout_seconds)
    if current.state is TicketState.EXPIRED or (approval is not None and utc_now() >= approval.requested_at + wait):
        return _expired()
    _, runs = services.workflow.runs(ticket.ticket_id)
    link_expired = approval is not None and now >= approval.link_expires_at
    if link_expired or not runs[-1].running:
        return ApprovalWindowClosed("This approval request closed before the decision arrived. Nothing was run.")
    return AlreadyDecided("This approval request was already answered a moment ago. Nothing was changed.")
