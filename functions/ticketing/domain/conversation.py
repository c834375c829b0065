"""A ticket's conversation and where the ticket stands, in words (pure, no I/O).

`TicketBrief` is what any reply builds on, with or without a model: the issue, the
state, what has happened and what happens next, read from the latest checkpoint.
`template_reply` answers from the brief alone when no model answers.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from .checkpoint import Checkpoint
from .models import Model, Ticket, TicketState

MAX_MESSAGE_CHARS = 2000
MAX_REPLY_CHARS = 4000

Role = Literal["USER", "ASSISTANT"]


class Turn(Model):
    role: Role
    text: str
    at: datetime


class TicketBrief(Model):
    ticket_id: str
    issue: str
    state: str
    where: str
    next: str


def _issue(ticket: Ticket, latest: Checkpoint | None) -> str:
    analysis = latest.data.analysis if latest else None
    if ticket.subject:
        issue = ticket.subject
    elif analysis is not None:
        issue = analysis.summary
    else:
        issue = re.split(r"(?<=[.!?])\s", ticket.description.strip(), maxsplit=1)[0]
    issue = issue if len(issue) <= 200 else issue[:197].rstrip() + "..."
    return issue if issue.endswith((".", "!", "?")) else issue + "."


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def brief(ticket: Ticket, latest: Checkpoint | None, state: str) -> TicketBrief:
    """Where the ticket stands and what happens next, for every state it can be in."""
    data = latest.data if latest else None
    analysis = data.analysis if data else None
    plan = data.plan if data else None
    triage = ""
    if analysis is not None:
        triage = f" It was analysed as a {analysis.category.value} issue of {analysis.severity.value} severity."
    steps = "; ".join(s.title for s in plan.steps) if plan else ""
    where: str
    next_: str
    if state == "RECEIVED":
        where = "The ticket was received and its analysis has not started yet."
        next_ = "The workflow analyses the issue and proposes resolution steps for an approver."
    elif state == TicketState.ANALYZING:
        where = "The issue is being analysed."
        next_ = "Resolution steps are chosen from the catalog and sent to an approver."
    elif state == TicketState.FINDING_SOLUTION:
        where = f"Resolution steps are being chosen.{triage}"
        next_ = "The proposed plan goes to an approver by email."
    elif state == TicketState.AWAITING_APPROVAL:
        approval = data.approval if data else None
        until = f" until {_when(approval.link_expires_at)}" if approval else ""
        where = f"A plan of {len(plan.steps) if plan else 0} steps ({steps}) waits for the approver's decision.{triage}"
        next_ = (
            f"The approver approves or rejects it{until}. If approved, the steps run and you are told; "
            "if rejected, you are told why; if nobody decides in time, the ticket is escalated."
        )
    elif state == TicketState.EXECUTING:
        done = len(data.succeeded_actions()) if data else 0
        where = f"The approved plan is running: {done} of {len(plan.steps) if plan else 0} steps done ({steps})."
        next_ = "The remaining steps run, then you receive a completion email."
    elif state == TicketState.COMPLETED:
        ran = len(data.step_results) if data else 0
        where = f"It is resolved: the approved plan ran all {ran} steps ({steps})."
        next_ = "Nothing more runs on this ticket. If the problem comes back, say so here or open a new ticket."
    elif state == TicketState.REJECTED:
        decision = data.decision if data else None
        why = f' The approver said: "{decision.comment}".' if decision and decision.comment else ""
        where = f"The approver rejected the proposed plan, so none of its steps ran.{why}"
        next_ = "The workflow has ended. A support engineer follows up with you about another approach."
    elif state == TicketState.EXPIRED:
        where = "Nobody decided on the proposed plan in time, so the ticket expired without running any step."
        next_ = "The workflow has ended and the ticket was escalated to the operations team, who follow up."
    elif state == TicketState.FAILED:
        failure = data.failure if data else None
        during = f" while {failure.failed_in.value}" if failure and failure.failed_in else ""
        where = f"The workflow failed{during} ({failure.error if failure else 'unknown error'})."
        next_ = "The operations team was told and looks into it; nothing else runs automatically."
    elif state == "RESUMING":
        where = f"The workflow is continuing from the ticket's last checkpoint.{triage}"
        next_ = (
            "It picks up at the first step without a recorded result: a new approval request, or the approved "
            "steps that have not run yet. Nothing is analysed twice."
        )
    else:
        where = f"The workflow stopped ({state}) before the ticket reached an end."
        next_ = "An operator has to look at it; nothing else runs automatically."
    return TicketBrief(ticket_id=ticket.ticket_id, issue=_issue(ticket, latest), state=state, where=where, next=next_)


def template_reply(facts: TicketBrief) -> str:
    """The reply without a model: the issue, where it stands, what happens next."""
    return (
        f"Ticket {facts.ticket_id} is about this issue: {facts.issue} "
        f"Where it stands ({facts.state}): {facts.where} What happens next: {facts.next}"
    )
