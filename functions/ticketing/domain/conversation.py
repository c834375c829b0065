"""A ticket's conversation and where the ticket stands, in words (pure, no I/O).

`TicketBrief` is what any reply builds on, with or without a model: the issue, the
state, what has happened and what happens next, read from the latest checkpoint.
`template_reply` answers from the brief alone when no model answers.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from .checkpoint import Checkpoint, CheckpointData
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
    # Once approved, the plan that runs is the approved one (the approver may have edited it).
    plan = (data.approved_plan or data.plan) if data else None
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
    elif state == TicketState.FINDING_SOLUTION and data is not None and data.rounds:
        asked = data.rounds[-1].decision
        where = (
            f"The approver asked for changes to the proposed plan in review round {asked.round}, "
            f"so a revised plan is being prepared.{triage}"
        )
        next_ = f"The revised plan goes to the approver for review round {asked.round + 1}."
    elif state == TicketState.FINDING_SOLUTION:
        where = f"Resolution steps are being chosen.{triage}"
        next_ = "The proposed plan goes to an approver by email."
    elif state == TicketState.AWAITING_APPROVAL:
        approval = data.approval if data else None
        until = f" until {_when(approval.link_expires_at)}" if approval else ""
        review_round = f" (review round {approval.round})" if approval and approval.round > 1 else ""
        where = (
            f"A plan of {len(plan.steps) if plan else 0} steps ({steps}) waits for the approver's "
            f"decision{review_round}.{triage}"
        )
        next_ = (
            f"The approver approves or rejects it{until}. If approved, the steps run and you are told; "
            "if rejected, you are told why; if nobody decides in time, the ticket is escalated."
        )
    elif state == TicketState.EXECUTING:
        done = len(data.succeeded_actions()) if data else 0
        where = (
            f"The approved plan is running: {done} of {len(plan.steps) if plan else 0} steps done ({steps})."
            f"{_edits(data)}"
        )
        next_ = "The remaining steps run, then you receive a completion email."
    elif state == TicketState.COMPLETED and data is not None and data.confirmation is None and data.answers:
        where = f"The new plan ran all {len(data.step_results)} steps ({steps}).{_edits(data)}"
        next_ = "You will be asked again whether the issue is resolved."
    elif state == TicketState.AWAITING_STEP_REPORT and data is not None and data.step_request is not None:
        waiting = data.step_request
        step = next((s for s in plan.steps if s.action_id == waiting.action_id), None) if plan else None
        title = step.title if step else waiting.action_id
        done = len(data.succeeded_actions())
        where = (
            f"The approved plan is running: {done} of {len(plan.steps) if plan else 0} steps done ({steps}). "
            f"The step '{title}' is for "
            + ("you to do: we emailed you its instructions." if waiting.kind == "customer" else "our engineer to do.")
        )
        next_ = (
            f'Do the step, then use the link in that email until {_when(waiting.link_expires_at)}: "Done" lets the '
            'next steps run; "Didn\'t help" stops the plan and the support team takes it from there.'
            if waiting.kind == "customer"
            else f"The engineer reports on it (until {_when(waiting.link_expires_at)}), then the next steps run."
        )
    elif state == TicketState.AWAITING_CONFIRMATION:
        question = data.confirmation if data else None
        until = f" until {_when(question.link_expires_at)}" if question else ""
        ran = len(data.step_results) if data else 0
        where = (
            f"The approved plan ran all {ran} steps ({steps}).{_edits(data)} We asked you by email whether "
            "the issue is resolved."
        )
        next_ = (
            f'Answer through the link in that email{until}: "Yes, it works" closes the ticket; "No, it still '
            'happens" (with what you see) reopens it for a new analysis and plan. Without an answer the ticket '
            "is closed."
        )
    elif state == TicketState.RESOLVED:
        where = "You confirmed that the issue is resolved."
        next_ = "The ticket is being closed."
    elif state == TicketState.REOPENED:
        where = (
            f"You said the issue still happens, so the ticket was reopened ({data.reopenings if data else 1} "
            f"time(s)).{triage}"
        )
        next_ = "The issue is analysed again with what you wrote, and a new plan goes to an approver."
    elif state == TicketState.CLOSED:
        note = data.closing_note if data else ""
        where = f"The ticket is closed. {note}".strip()
        next_ = "Nothing more runs on this ticket. If the problem comes back, open a new ticket and mention this one."
    elif state == TicketState.ESCALATED:
        where = (
            "You said the issue still happens after the plans we ran, more often than the workflow retries, "
            "so a specialist took the ticket over."
        )
        next_ = "The specialist contacts you directly; nothing else runs automatically."
    elif state == TicketState.COMPLETED:
        ran = len(data.step_results) if data else 0
        where = f"It is resolved: the approved plan ran all {ran} steps ({steps}).{_edits(data)}"
        next_ = "Nothing more runs on this ticket. If the problem comes back, say so here or open a new ticket."
    elif state == TicketState.REJECTED:
        decision = data.decision if data else None
        # The reason is the customer's to read only when the approver said so.
        told = decision is not None and decision.notify_customer and decision.reason
        why = f' The approver\'s reason: "{decision.reason}".' if told and decision else ""
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


def _edits(data: CheckpointData | None) -> str:
    """What the approver changed before approving, and after how many rounds, in words (empty: nothing)."""
    decision = data.decision if data else None
    if data is None or decision is None:
        return ""
    said = []
    changes = decision.changes
    titles = {s.action_id: s.title for r in data.rounds for s in r.proposed_plan.steps}
    titles.update({s.action_id: s.title for s in (data.approved_plan.steps if data.approved_plan else [])})
    if changes.dropped:
        said.append("dropped " + ", ".join(titles.get(a, a) for a in changes.dropped))
    if changes.added:
        said.append("added " + ", ".join(titles.get(a, a) for a in changes.added))
    if changes.moved:
        said.append("changed the order")
    edited = f" The approver {'; '.join(said)} before approving." if said else ""
    rounds = f" It took {decision.round} review rounds." if decision.round > 1 else ""
    return edited + rounds


def template_reply(facts: TicketBrief) -> str:
    """The reply without a model: the issue, where it stands, what happens next."""
    return (
        f"Ticket {facts.ticket_id} is about this issue: {facts.issue} "
        f"Where it stands ({facts.state}): {facts.where} What happens next: {facts.next}"
    )
