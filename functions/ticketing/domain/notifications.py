"""The emails the workflow sends, composed as text and HTML (every value escaped)."""

from __future__ import annotations

from datetime import datetime
from html import escape

from .models import Analysis, Decision, FailureReport, Model, ResolutionPlan, Ticket


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
        for i, s in enumerate(plan.steps, 1)
    )


def _steps_html(plan: ResolutionPlan) -> str:
    items = "".join(
        f"<li><strong>{escape(s.title)}</strong> <code>{escape(s.action_id)}</code><br>{escape(s.instructions)}"
        + (f"<br><em>The assistant's note (model-written): {escape(s.note)}</em>" if s.note else "")
        + "</li>"
        for s in plan.steps
    )
    return f"<ol>{items}</ol>"


def approval_request(
    *, ticket: Ticket, analysis: Analysis, plan: ResolutionPlan, approver: str, link: str, expires_at: datetime
) -> Email:
    subject = f"Approval needed: {ticket.ticket_id} ({analysis.category.value}, {analysis.severity.value})"
    text = (
        f"Ticket {ticket.ticket_id} from customer {ticket.customer_id} needs your decision.\n\n"
        f"Issue: {ticket.description}\n\n"
        f"Analysis: {analysis.category.value}, severity {analysis.severity.value}.\n{analysis.explanation}\n\n"
        f"Proposed plan:\n{_steps_text(plan)}\n\n"
        f"Review the plan and approve or reject it here (the page asks you to confirm):\n{link}\n\n"
        f"This link expires at {_when(expires_at)} and works once.\n"
    )
    html = _html(
        subject,
        f"<h2>Ticket {escape(ticket.ticket_id)} needs your decision</h2>"
        f"<p><strong>Customer:</strong> {escape(ticket.customer_id)}</p>"
        f"<p><strong>Issue:</strong> {escape(ticket.description)}</p>"
        f"<p><strong>Analysis:</strong> {escape(analysis.category.value)}, severity "
        f"{escape(analysis.severity.value)}.<br><small>{escape(analysis.explanation)}</small></p>"
        f"<h3>Proposed plan</h3>{_steps_html(plan)}"
        f"<p><a href='{escape(link, quote=True)}' style='display:inline-block;padding:10px 18px;"
        "background:#0b5cad;color:#fff;text-decoration:none;border-radius:6px'>Review and decide</a></p>"
        f"<p><small>The page asks you to confirm; opening it decides nothing. The link expires at "
        f"{escape(_when(expires_at))} and works once.</small></p>",
    )
    return Email(to=(approver,), subject=subject, text=text, html=html, kind="approval-request")


def rejection_notice(*, ticket: Ticket, decision: Decision) -> Email:
    subject = f"Update on your ticket {ticket.ticket_id}"
    reason = f"\nThe reviewer noted: {decision.comment}\n" if decision.comment else ""
    text = (
        f"Hello {ticket.customer_id},\n\nThe resolution we proposed for your ticket {ticket.ticket_id} was not "
        f"approved, so we will not run it.{reason}\nA support engineer will contact you about next steps.\n"
    )
    note = f"<p>The reviewer noted: {escape(decision.comment)}</p>" if decision.comment else ""
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


def completion_notice(*, ticket: Ticket, plan: ResolutionPlan) -> Email:
    subject = f"Your ticket {ticket.ticket_id} is resolved"
    text = (
        f"Hello {ticket.customer_id},\n\nWe ran the approved resolution for ticket {ticket.ticket_id}:\n"
        f"{_steps_text(plan)}\n\nReply if the problem comes back.\n"
    )
    html = _html(
        subject,
        f"<h2>{escape(subject)}</h2><p>We ran the approved resolution:</p>{_steps_html(plan)}"
        "<p>Reply if the problem comes back.</p>",
    )
    return Email(to=(ticket.customer_email,), subject=subject, text=text, html=html, kind="completed")
