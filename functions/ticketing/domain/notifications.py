"""The emails the workflow sends, composed as text and HTML (every value escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from .models import (
    Analysis,
    ApprovalRound,
    ConfirmationAnswer,
    Decision,
    FailureReport,
    Model,
    PersonKind,
    ResolutionPlan,
    ResolutionStep,
    StepResult,
    Ticket,
)


class Email(Model):
    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    kind: str


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _html(title: str, body: str) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title></head>"
        "<body style='font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;"
        "max-width:640px;margin:24px auto;color:#1f2933;line-height:1.5'>"
        f"{body}</body></html>"
    )


def _steps_text(plan: ResolutionPlan) -> str:
    return "\n".join(
        f"  {i}. {s.title} [{s.action_id}]\n     {s.instructions}"
        + (f"\n     The assistant's note (model-written): {s.note}" if s.note else "")
        + (f"\n     The approver's note: {s.reviewer_note}" if s.reviewer_note else "")
        for i, s in enumerate(plan.steps, 1)
    )


def _steps_html(plan: ResolutionPlan) -> str:
    items = "".join(
        f"<li><strong>{escape(s.title)}</strong> <code>{escape(s.action_id)}</code><br>{escape(s.instructions)}"
        + (f"<br><em>The assistant's note (model-written): {escape(s.note)}</em>" if s.note else "")
        + (f"<br><em>The approver's note: {escape(s.reviewer_note)}</em>" if s.reviewer_note else "")
        + "</li>"
        for s in plan.steps
    )
    return f"<ol>{items}</ol>"


def _earlier_rounds(rounds: Sequence[ApprovalRound]) -> tuple[str, str]:
    """What earlier review rounds asked for, as text and HTML (empty in the first round)."""
    sent_back = [r for r in rounds if r.decision.outcome == "changes_requested"]
    if not sent_back:
        return "", ""
    text = "".join(
        f"Round {r.number} was sent back by {r.decision.decided_by}: {r.decision.feedback}\n" for r in sent_back
    )
    html = "".join(
        f"<p>Round {r.number} was sent back by {escape(r.decision.decided_by)}: "
        f"<em>{escape(r.decision.feedback)}</em></p>"
        for r in sent_back
    )
    return text + "\n", html


def approval_request(
    *,
    ticket: Ticket,
    analysis: Analysis,
    plan: ResolutionPlan,
    approver: str,
    link: str,
    expires_at: datetime,
    round_number: int = 1,
    max_rounds: int = 1,
    earlier: Sequence[ApprovalRound] = (),
    approvals_needed: int = 1,
    asked: Sequence[str] = (),
    reason: str = "request",
) -> Email:
    """The approver's link; `reason` "reminder" or "escalation" says why it comes (again, or to someone new)."""
    subject = f"Approval needed: {ticket.ticket_id} ({analysis.category.value}, {analysis.severity.value})"
    if reason == "reminder":
        subject = "Reminder: " + subject
    elif reason == "escalation":
        subject = "Escalated: " + subject
    if round_number > 1:
        subject += f", round {round_number} of {max_rounds}"
    rounds_text, rounds_html = _earlier_rounds(earlier)
    others = [a for a in asked if a != approver]
    quorum = ""
    if approvals_needed > 1:
        quorum = (
            f"This plan needs {approvals_needed} approvals from: {', '.join(asked)}. "
            "Your link is yours alone; one rejection rejects it.\n\n"
        )
    elif others:
        quorum = f"Also asked: {', '.join(others)}; the first decision counts.\n\n"
    last = round_number >= max_rounds
    choices = (
        "approve (you may edit the steps) or reject it"
        if last
        else "approve (you may edit the steps), send it back, or reject it"
    )
    why = {
        "reminder": "Nobody has decided yet, and your answer is still needed: this is a reminder.\n\n",
        "escalation": "Nobody decided in time, so the request is escalated to you, with a link of your own.\n\n",
    }.get(reason, "")
    text = (
        f"Ticket {ticket.ticket_id} from customer {ticket.customer_id} needs your decision.\n\n"
        f"{why}"
        f"Issue: {ticket.description}\n\n"
        f"Analysis: {analysis.category.value}, severity {analysis.severity.value}.\n{analysis.explanation}\n\n"
        f"{rounds_text}"
        f"{quorum}"
        f"Proposed plan (review round {round_number} of {max_rounds}):\n{_steps_text(plan)}\n\n"
        f"Review the plan and {choices} here (the page asks you to confirm):\n{link}\n\n"
        f"This link expires at {_when(expires_at)} and works once. It replaces any earlier link for this ticket.\n"
    )
    html = _html(
        subject,
        f"<h2>Ticket {escape(ticket.ticket_id)} needs your decision</h2>"
        f"<p><strong>Customer:</strong> {escape(ticket.customer_id)}</p>"
        f"<p><strong>Issue:</strong> {escape(ticket.description)}</p>"
        f"<p><strong>Analysis:</strong> {escape(analysis.category.value)}, severity "
        f"{escape(analysis.severity.value)}.<br><small>{escape(analysis.explanation)}</small></p>"
        f"{rounds_html}"
        + (f"<p><strong>{escape(quorum.strip())}</strong></p>" if quorum else "")
        + f"<h3>Proposed plan (review round {round_number} of {max_rounds})</h3>{_steps_html(plan)}"
        f"<p><a href='{escape(link, quote=True)}' style='display:inline-block;padding:10px 18px;"
        "background:#0b5cad;color:#fff;text-decoration:none;border-radius:6px'>Review and decide</a></p>"
        f"<p><small>The page asks you to confirm; opening it decides nothing. The link expires at "
        f"{escape(_when(expires_at))} and works once.</small></p>",
    )
    kind = "approval-reminder" if reason == "reminder" else "approval-request"
    return Email(to=(approver,), subject=subject, text=text, html=html, kind=kind)


# What the customer reads when the approver keeps the reason of a rejection to the team.
NEUTRAL_REJECTION = "The reviewer decided that this plan is not the right way to resolve your issue."


def rejection_notice(*, ticket: Ticket, decision: Decision) -> Email:
    """The customer hears the reason only when the approver chose to tell them, else a neutral sentence."""
    subject = f"Update on your ticket {ticket.ticket_id}"
    said = decision.reason if decision.notify_customer and decision.reason else ""
    reason = f"\nThe reviewer's reason: {said}\n" if said else f"\n{NEUTRAL_REJECTION}\n"
    text = (
        f"Hello {ticket.customer_id},\n\nThe resolution we proposed for your ticket {ticket.ticket_id} was not "
        f"approved, so we will not run it.{reason}\nA support engineer will contact you about next steps.\n"
    )
    note = f"<p>The reviewer's reason: {escape(said)}</p>" if said else f"<p>{escape(NEUTRAL_REJECTION)}</p>"
    html = _html(
        subject,
        f"<h2>Update on your ticket {escape(ticket.ticket_id)}</h2>"
        "<p>The resolution we proposed was not approved, so we will not run it.</p>"
        f"{note}<p>A support engineer will contact you about next steps.</p>",
    )
    return Email(to=(ticket.customer_email,), subject=subject, text=text, html=html, kind="rejected")


def expiry_notice(*, ticket: Ticket, recipients: tuple[str, ...]) -> Email:
    subject = f"Escalation: no decision on ticket {ticket.ticket_id}"
    text = (
        f"Nobody approved or rejected the proposed resolution for ticket {ticket.ticket_id} in time, "
        "so the request expired and nothing was run. The ticket needs a person's attention.\n"
    )
    html = _html(subject, f"<h2>{escape(subject)}</h2><p>{escape(text)}</p>")
    return Email(to=recipients, subject=subject, text=text, html=html, kind="expired")


def expiry_customer_notice(*, ticket: Ticket) -> Email:
    subject = f"Update on your ticket {ticket.ticket_id}"
    text = (
        f"Hello {ticket.customer_id},\n\nThe resolution we proposed for your ticket {ticket.ticket_id} was not "
        "approved in time, so nothing was run on your systems. A support engineer will contact you "
        "about next steps.\n"
    )
    html = _html(
        subject,
        f"<h2>Update on your ticket {escape(ticket.ticket_id)}</h2>"
        "<p>The resolution we proposed was not approved in time, so nothing was run on your systems.</p>"
        "<p>A support engineer will contact you about next steps.</p>",
    )
    return Email(to=(ticket.customer_email,), subject=subject, text=text, html=html, kind="expired-customer")


def failure_notice(*, ticket: Ticket, failure: FailureReport, operator: str) -> Email:
    subject = f"Ticket {ticket.ticket_id} failed"
    where = failure.failed_in.value if failure.failed_in else "an unknown step"
    text = (
        f"The workflow for ticket {ticket.ticket_id} failed in {where}.\n\n"
        f"Error: {failure.error}\nCause: {failure.cause}\n\n"
        "The ticket's checkpoints hold everything known so far.\n"
    )
    html = _html(
        subject,
        f"<h2>{escape(subject)}</h2><p>Failed in {escape(where)}.</p>"
        f"<p><strong>Error:</strong> {escape(failure.error)}<br><strong>Cause:</strong> "
        f"<code>{escape(failure.cause)}</code></p>",
    )
    return Email(to=(operator,), subject=subject, text=text, html=html, kind="failed")


def plan_approved_notice(*, ticket: Ticket, plan: ResolutionPlan) -> Email:
    """The customer hears which steps will run, as approved (edits included), before the first runs."""
    subject = f"Your ticket {ticket.ticket_id}: the resolution was approved"
    text = (
        f"Hello {ticket.customer_id},\n\nAn engineer approved the resolution for ticket {ticket.ticket_id}. "
        f"These steps will now run, in this order:\n{_steps_text(plan)}\n\nWe will tell you how each one went.\n"
    )
    html = _html(
        subject,
        f"<h2>{escape(subject)}</h2><p>These steps will now run, in this order:</p>{_steps_html(plan)}"
        "<p>We will tell you how each one went.</p>",
    )
    return Email(to=(ticket.customer_email,), subject=subject, text=text, html=html, kind="approved")


def completion_notice(*, ticket: Ticket, plan: ResolutionPlan, results: Sequence[StepResult] = ()) -> Email:
    """The customer hears each step's outcome, in the order the steps ran."""
    subject = f"Your ticket {ticket.ticket_id} is resolved"
    titles = {s.action_id: s.title for s in plan.steps}
    outcomes = [(titles.get(r.action_id, r.action_id), r.status, r.detail) for r in results]
    text = (
        f"Hello {ticket.customer_id},\n\nWe ran the approved resolution for ticket {ticket.ticket_id}:\n"
        + "".join(f"  {i}. {title}: {status}. {detail}\n" for i, (title, status, detail) in enumerate(outcomes, 1))
        + "\nReply if the problem comes back.\n"
    )
    items = "".join(
        f"<li><strong>{escape(title)}</strong>: {escape(status)}<br><small>{escape(detail)}</small></li>"
        for title, status, detail in outcomes
    )
    html = _html(
        subject,
        f"<h2>{escape(subject)}</h2><p>We ran the approved resolution:</p><ol>{items}</ol>"
        "<p>Reply if the problem comes back.</p>",
    )
    return Email(to=(ticket.customer_email,), subject=subject, text=text, html=html, kind="completed")


def confirmation_request(
    *, ticket: Ticket, plan: ResolutionPlan, link: str, expires_at: datetime, reopenings_left: int
) -> Email:
    """After the last step: "Is your issue resolved?", with the customer's own signed link."""
    subject = f"Your ticket {ticket.ticket_id}: is your issue resolved?"
    again = (
        "If it still happens, tell us what you see and we will look at it again."
        if reopenings_left > 0
        else "If it still happens, tell us what you see and a specialist will take it over."
    )
    text = (
        f"Hello {ticket.customer_id},\n\nWe ran these steps for ticket {ticket.ticket_id}:\n{_steps_text(plan)}\n\n"
        f"Please test your system and tell us whether the issue is resolved:\n{link}\n\n"
        f'The page offers "Yes, it works" and "No, it still happens". {again} '
        f"The link works until {_when(expires_at)}; if we hear nothing by then, we close the ticket.\n"
    )
    html = _html(
        subject,
        f"<h2>Is your issue resolved?</h2><p>We ran these steps for ticket {escape(ticket.ticket_id)}:</p>"
        f"{_steps_html(plan)}<p>Please test your system and tell us:</p>"
        f"<p><a href='{escape(link, quote=True)}'>Tell us whether it works</a></p>"
        f"<p>{escape(again)} The link works until {escape(_when(expires_at))}; if we hear nothing by then, "
        "we close the ticket.</p>",
    )
    return Email(to=(ticket.customer_email,), subject=subject, text=text, html=html, kind="confirmation")


def _to_customer(ticket: Ticket, subject: str, lines: Sequence[str], kind: str) -> Email:
    text = f"Hello {ticket.customer_id},\n\n" + "\n".join(lines) + "\n"
    html = _html(subject, f"<h2>{escape(subject)}</h2>" + "".join(f"<p>{escape(line)}</p>" for line in lines))
    return Email(to=(ticket.customer_email,), subject=subject, text=text, html=html, kind=kind)


def resolved_notice(*, ticket: Ticket) -> Email:
    return _to_customer(
        ticket,
        f"Your ticket {ticket.ticket_id} is closed",
        [
            "Thank you for confirming that your issue is resolved. We have closed the ticket.",
            "If the problem comes back, open a new ticket and mention this one.",
        ],
        "closed-resolved",
    )


def reopened_notice(*, ticket: Ticket) -> Email:
    return _to_customer(
        ticket,
        f"Your ticket {ticket.ticket_id} is open again",
        [
            "Thank you for telling us that the issue still happens. We have reopened the ticket and are "
            "looking at it again with what you wrote.",
            "An engineer reviews the next steps before anything runs, and we will ask you again afterwards.",
        ],
        "reopened",
    )


def unanswered_notice(*, ticket: Ticket) -> Email:
    return _to_customer(
        ticket,
        f"Your ticket {ticket.ticket_id} is closed",
        [
            "We asked whether your issue was resolved and did not hear back, so we have closed the ticket.",
            "If the problem is still there, open a new ticket and mention this one.",
        ],
        "closed-unanswered",
    )


def escalated_customer_notice(*, ticket: Ticket) -> Email:
    return _to_customer(
        ticket,
        f"Your ticket {ticket.ticket_id} goes to a specialist",
        [
            "The issue still happens after the steps we ran, so a specialist takes your ticket over and "
            "will contact you directly.",
        ],
        "escalated-customer",
    )


def specialist_escalation(
    *, ticket: Ticket, answers: Sequence[ConfirmationAnswer], plan: ResolutionPlan | None, recipients: tuple[str, ...]
) -> Email:
    """To the specialist: the ticket was reopened more often than the stack allows; what the customer said."""
    subject = f"Escalation: ticket {ticket.ticket_id} still unresolved after {len(answers)} attempts"
    said = [a for a in answers if a.outcome == "reopened"]
    text = (
        f"Ticket {ticket.ticket_id} (customer {ticket.customer_id}) was reopened {len(said)} times; the workflow "
        "stops here and the ticket is yours.\n\n"
        + (f"The last plan that ran:\n{_steps_text(plan)}\n\n" if plan else "")
        + "What the customer said each time (their words, quoted):\n"
        + "".join(f"  {i}. {_when(a.answered_at)}: {a.comment or '(no comment)'}\n" for i, a in enumerate(said, 1))
    )
    items = "".join(
        f"<li>{escape(_when(a.answered_at))}: <q>{escape(a.comment or '(no comment)')}</q></li>" for a in said
    )
    html = _html(
        subject,
        f"<h2>{escape(subject)}</h2><p>The workflow stops here and the ticket is yours.</p>"
        + (f"<p>The last plan that ran:</p>{_steps_html(plan)}" if plan else "")
        + f"<p>What the customer said each time:</p><ol>{items}</ol>",
    )
    return Email(to=recipients, subject=subject, text=text, html=html, kind="escalated")


def step_request(
    *, ticket: Ticket, step: ResolutionStep, kind: PersonKind, recipient: str, link: str, expires_at: datetime
) -> Email:
    """One approved step a person carries out: its instructions and their own signed link to report back."""
    if kind == "customer":
        subject = f"Your ticket {ticket.ticket_id}: one step for you to do"
        greeting = f"Hello {ticket.customer_id},"
        ask = (
            "As part of the approved plan for your ticket, please do this step, then tell us how it went. "
            'The page offers "Done" and "Didn\'t help".'
        )
        after = "If we hear nothing by then, we count the step as not done and tell you what happens next."
    else:
        subject = f"Ticket {ticket.ticket_id}: step assigned to you: {step.title}"
        greeting = "Hello,"
        ask = (
            f"The approved plan of ticket {ticket.ticket_id} (customer {ticket.customer_id}) has a step assigned "
            "to you. Please carry it out, then mark it done or failed, with a note."
        )
        after = "If nobody reports by then, the step counts as failed."
    lines = [step.instructions]
    if step.note:
        lines.append(f"For this ticket: {step.note}")
    if kind == "engineer" and step.reviewer_note:
        lines.append(f"The approver's note: {step.reviewer_note}")
    text = (
        f"{greeting}\n\n{ask}\n\n{step.title}\n" + "\n".join(f"  {line}" for line in lines) + "\n\n"
        f"Report here:\n{link}\n\nThe link works once, until {_when(expires_at)}. {after}\n"
    )
    html = _html(
        subject,
        f"<h2>{escape(step.title)}</h2><p>{escape(ask)}</p>"
        + "".join(f"<p>{escape(line)}</p>" for line in lines)
        + f"<p><a href='{escape(link, quote=True)}'>Report on this step</a></p>"
        f"<p>The link works once, until {escape(_when(expires_at))}. {escape(after)}</p>",
    )
    return Email(to=(recipient,), subject=subject, text=text, html=html, kind=f"step-{kind}")
