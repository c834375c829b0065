"""The approver's side: review a plan through a signed link, then decide once.

Step Functions is the arbiter of "once": only the first result sent for a task
token is accepted, so two clicks (or an approve racing a reject) yield one
decision, and the loser is told the ticket was already decided. The API never
writes checkpoints; the step that runs after the decision records it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from ..domain.approval_link import ApprovalClaims
from ..domain.catalog import load_catalog
from ..domain.checkpoint import Checkpoint
from ..domain.errors import (
    AlreadyDecided,
    ApprovalExpired,
    ApprovalLinkInvalid,
    ApprovalWindowClosed,
    RevisionRefused,
    TaskNoLongerWaiting,
)
from ..domain.models import (
    ApprovalRequest,
    Decision,
    ResolutionPlan,
    ResolutionStep,
    Ticket,
    TicketState,
    Vote,
    utc_now,
    utc_text,
)
from ..domain.review import ReviewRequest, edited_plan, plan_changes
from ..ports import Services
from .checkpoints import checkpoint_after, latest_checkpoint
from .tickets import require_ticket_id


class ApprovalReview(BaseModel):
    """What the confirmation page shows; it decides nothing."""

    ticket: Ticket
    checkpoint: Checkpoint
    token: str
    round_number: int = 1
    max_rounds: int = 1
    # Catalog actions the approver may add: the ticket category's and the general ones not proposed.
    addable: list[ResolutionStep] = []
    # Whether a planning model answers a request for changes (else the next round proposes the edit as is).
    model_revises: bool = False
    # The approver this link was sent to, and, where the policy asks several, the votes of the round so far.
    approver: str = ""
    votes: list[Vote] = []

    @property
    def can_revise(self) -> bool:
        return self.round_number < self.max_rounds


def _expired() -> ApprovalExpired:
    return ApprovalExpired(
        "This approval request expired before anyone decided, so nothing was run. Nothing was changed."
    )


_DECIDED_AS = {"approved": "approved", "rejected": "rejected", "changes_requested": "sent back for changes"}


def _sent_back(latest: Checkpoint) -> Decision | None:
    """The decision that sent the latest round back, while its revision is under way."""
    rounds = latest.data.rounds
    if rounds and rounds[-1].decision.outcome == "changes_requested":
        return rounds[-1].decision
    return None


def _already_decided(decision: Decision) -> AlreadyDecided:
    return AlreadyDecided(
        f"This ticket was already {_DECIDED_AS[decision.outcome]} at {utc_text(decision.decided_at)} "
        f"by {decision.decided_by or 'the approver'} through the approval link. Nothing was changed.",
        outcome=decision.outcome,
        decided_at=decision.decided_at,
        plan_hash=decision.plan_hash,
    )


def _issued_for(history: list[Checkpoint], claims: ApprovalClaims) -> bool:
    """Whether the link asks about the request that waits. A reminder or an escalation writes a new
    checkpoint of the same request, and earlier links stay good; a link of an earlier request of the
    same round (one that expired before a resume, say) does not. Links without a round name their checkpoint."""
    waiting = history[-1]
    approval = waiting.data.approval
    if claims.round and approval is not None and waiting.data.decision is None:
        return any(c.content_hash == claims.checkpoint_hash and approval.same_request(c.data.approval) for c in history)
    return waiting.content_hash == claims.checkpoint_hash


def _require_pending(history: list[Checkpoint], claims: ApprovalClaims, workflow_running: bool) -> None:
    """Raise unless the request this link was issued for is still the one waiting."""
    latest = history[-1]
    if latest.state is TicketState.AWAITING_APPROVAL and _issued_for(history, claims):
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
            f"A newer approval request (review round {latest.data.current_round}) replaced this link. "
            "Use the link in the most recent email."
        )
    sent_back = _sent_back(latest)
    if sent_back is not None:
        raise ApprovalWindowClosed(
            f"This plan was sent back for changes at {utc_text(sent_back.decided_at)}; the revised plan comes in a "
            "new email. Use the link in the most recent email. Nothing was changed."
        )
    raise AlreadyDecided(
        f"This ticket is no longer waiting for approval (it is {latest.state.value}). Nothing was changed."
    )


def _require_accepting(approval: ApprovalRequest, claims: ApprovalClaims) -> str:
    """The approver the link speaks for, unless their link no longer decides (an escalation replaced it)."""
    approver = claims.approver or approval.approver_email
    if approver not in approval.accepting:
        raise ApprovalLinkInvalid(
            "This approval link was not issued to an approver of this request. Nothing was changed."
        )
    return approver


def _open(
    services: Services, ticket_id: str, token: str, now: datetime
) -> tuple[Ticket, list[Checkpoint], ApprovalClaims, bool]:
    """The ticket, its checkpoints (oldest first, never empty), the link's claims, and whether its run runs."""
    require_ticket_id(ticket_id)
    claims = services.signer.verify(token, ticket_id=ticket_id, now=now)
    ticket, runs = services.workflow.runs(ticket_id)
    history = services.checkpoints.history(ticket.ticket_id, ticket.customer_id)
    if not history:
        history = [latest_checkpoint(services.checkpoints, ticket)]  # raises CheckpointNotFound
    return ticket, history, claims, runs[-1].running


def review(services: Services, ticket_id: str, token: str) -> ApprovalReview:
    ticket, history, claims, running = _open(services, ticket_id, token, utc_now())
    _require_pending(history, claims, running)
    latest = history[-1]
    approval, plan = latest.data.approval, latest.data.plan
    assert approval is not None and plan is not None
    _require_accepting(approval, claims)
    proposed = set(plan.action_ids)
    allowed = load_catalog().allowed_actions(plan.category)
    return ApprovalReview(
        ticket=ticket,
        checkpoint=latest,
        token=token,
        round_number=approval.round,
        max_rounds=services.settings.max_approval_rounds,
        addable=[step for action_id, step in allowed.items() if action_id not in proposed],
        model_revises=services.settings.model_enabled,
        approver=claims.approver or approval.approver_email,
        votes=request_votes(services, ticket, approval) if approval.approvals_needed > 1 else [],
    )


@dataclass(frozen=True)
class DecisionOutcome:
    """What a click did: the decision handed to the workflow, or a vote that waits for others."""

    decision: Decision | None
    vote: Vote | None = None
    approvals: int = 0
    needed: int = 1


def decide(services: Services, ticket_id: str, token: str, request: ReviewRequest) -> DecisionOutcome:
    """Hand the approver's decision to the waiting workflow, once; edits are checked first.

    Where the policy asks several approvers, the click is a vote, stored before the answer:
    any rejection or request for changes decides at once; approvals decide once enough
    distinct approvers approved the same plan. Step Functions accepts the first result for
    the task, so the last two approvals racing resume the workflow once.
    """
    now = utc_now()
    ticket, history, claims, running = _open(services, ticket_id, token, now)
    _require_pending(history, claims, running)
    latest = history[-1]
    approval, proposed = latest.data.approval, latest.data.plan
    assert approval is not None and proposed is not None, "an AWAITING_APPROVAL checkpoint holds its request and plan"
    approver = _require_accepting(approval, claims)
    decision = _decision(services, request, proposed, approval, approver, now)
    if approval.approvals_needed == 1:
        _send(services, ticket, latest, approval, decision, now)
        return DecisionOutcome(decision=decision, approvals=1)
    vote = _recorded_vote(services, ticket, approval, decision, now)
    votes = request_votes(services, ticket, approval)
    _refuse_after_a_deciding_vote(votes, vote)
    if decision.outcome == "approved":
        agreeing = [v for v in votes if v.outcome == "approved" and v.plan_hash == decision.plan_hash]
        if len(agreeing) < approval.approvals_needed:
            return DecisionOutcome(decision=None, vote=vote, approvals=len(agreeing), needed=approval.approvals_needed)
        decision = decision.model_copy(update={"votes": agreeing})
    else:
        decision = decision.model_copy(update={"votes": votes})
    try:
        _send(services, ticket, latest, approval, decision, now)
    except AlreadyDecided as closed:
        # The other last approval of the same plan reached the workflow first: this vote is part of that decision.
        if decision.outcome == "approved" and closed.outcome == "approved" and closed.plan_hash == decision.plan_hash:
            return DecisionOutcome(
                decision=decision, vote=vote, approvals=len(decision.votes), needed=approval.approvals_needed
            )
        raise
    return DecisionOutcome(
        decision=decision, vote=vote, approvals=len(decision.votes), needed=approval.approvals_needed
    )


def _send(
    services: Services, ticket: Ticket, waited: Checkpoint, approval: ApprovalRequest, decision: Decision, now: datetime
) -> None:
    """Hand the decision to the waiting task. When a timer step (a reminder, an escalation) replaced the
    task while the click was on its way, the round still waits under a new token: send it there."""
    for _ in range(3):
        try:
            services.workflow.send_decision(approval.task_token, decision)
            return
        except TaskNoLongerWaiting:
            current = _after(services, ticket, waited)
            again = current.data.approval
            same_request = (
                again is not None and approval.same_request(again) and again.task_token != approval.task_token
            )
            if not (current.state is TicketState.AWAITING_APPROVAL and current.data.decision is None and same_request):
                raise _why_closed(services, ticket, waited, current, now) from None
            assert again is not None
            waited, approval = current, again
    raise AlreadyDecided("This approval request was already answered a moment ago. Nothing was changed.")


def _after(services: Services, ticket: Ticket, waited: Checkpoint) -> Checkpoint:
    """The ticket's latest checkpoint once the step after a refused result has written one (or after a short wait)."""
    return checkpoint_after(services.checkpoints, ticket, waited)


def request_votes(services: Services, ticket: Ticket, approval: ApprovalRequest) -> list[Vote]:
    """The votes that answer this request (a resumed run's request starts with none)."""
    return approval.own_votes(services.votes.votes(ticket.ticket_id, ticket.customer_id, approval.round))


def _refuse_after_a_deciding_vote(votes: list[Vote], mine: Vote) -> None:
    """A rejection or a request for changes decides the round at once: a later click of someone else's
    decides nothing (the workflow may not have recorded that decision yet)."""
    deciding = next((v for v in votes if v.outcome != "approved" and v.approver != mine.approver), None)
    if deciding is not None:
        raise AlreadyDecided(
            f"This plan was already {_DECIDED_AS[deciding.outcome]} by {deciding.approver} at "
            f"{utc_text(deciding.decided_at)}. Nothing was changed.",
            outcome=deciding.outcome,
            decided_at=deciding.decided_at,
            plan_hash=deciding.plan_hash,
        )


def _recorded_vote(
    services: Services, ticket: Ticket, approval: ApprovalRequest, decision: Decision, now: datetime
) -> Vote:
    """Store this approver's vote of the round; a second vote of the same approver is 409 and changes nothing."""
    mine = Vote(
        ticket_id=ticket.ticket_id,
        round=approval.round,
        approver=decision.decided_by,
        outcome=decision.outcome,
        plan_hash=decision.plan_hash,
        decided_at=now,
        nonce=secrets.token_hex(8),
        request_started=approval.requested_at,
    )
    cast = request_votes(services, ticket, approval)
    _refuse_after_a_deciding_vote(cast, mine)
    earlier = [v for v in cast if v.approver == mine.approver]
    stored = earlier[0] if earlier else services.votes.record(mine, ticket.customer_id)
    if stored.nonce != mine.nonce:
        raise AlreadyDecided(
            f"You already {_DECIDED_AS[stored.outcome]} this plan at {utc_text(stored.decided_at)}; "
            "each approver votes once per round. Nothing was changed.",
            outcome=stored.outcome,
            decided_at=stored.decided_at,
        )
    return stored


def _decision(
    services: Services,
    request: ReviewRequest,
    proposed: ResolutionPlan,
    approval: ApprovalRequest,
    approver: str,
    now: datetime,
) -> Decision:
    common: dict[str, Any] = {
        "decided_at": now,
        "decided_by": approver,
        "round": approval.round,
        "proposed_plan_hash": proposed.plan_hash,
        "comment": request.comment,
    }
    catalog = load_catalog()
    if request.outcome == "rejected":
        return Decision(
            outcome="rejected",
            plan_hash=proposed.plan_hash,
            reason=request.reason,
            notify_customer=request.notify_customer,
            **common,
        )
    edited = edited_plan(catalog, proposed, request.steps, request.notes)
    if request.outcome == "approved":
        return Decision(
            outcome="approved",
            plan_hash=edited.plan_hash,
            approved_plan=edited,
            changes=plan_changes(proposed, edited),
            **common,
        )
    if approval.round >= services.settings.max_approval_rounds:
        raise RevisionRefused(
            f"This is review round {approval.round} of {services.settings.max_approval_rounds}, the last one: "
            "approve the plan (you may edit its steps) or reject it. Nothing was changed."
        )
    return Decision(
        outcome="changes_requested",
        plan_hash=proposed.plan_hash,
        feedback=request.feedback,
        requested_steps=edited.action_ids if request.steps is not None else [],
        requested_notes={s.action_id: s.reviewer_note for s in edited.steps if s.reviewer_note},
        changes=plan_changes(proposed, edited),
        **common,
    )


# After a decision is accepted, the next step records it within moments; a second click
# that lost the race waits this long to say who decided and when.


def _why_closed(
    services: Services, ticket: Ticket, waited: Checkpoint, current: Checkpoint, now: datetime
) -> Exception:
    """Step Functions refused the result: say whether someone decided first or time ran out."""
    if current.data.decision is not None:
        return _already_decided(current.data.decision)
    closed = next((r for r in current.data.rounds if r.number == waited.data.current_round), None)
    if closed is not None:
        return _already_decided(closed.decision)
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
