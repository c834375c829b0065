"""HTML pages for a step-report link: the step (GET, decides nothing) and the report received."""

from __future__ import annotations

from html import escape

from ..domain.models import MAX_STEP_NOTE_CHARS, StepReport
from ..logic.person_steps import StepReview
from .pages import page

# What each person's buttons say: the customer tried a step ("Didn't help"), the engineer carried one out.
_FAILED = {"customer": "Didn't help", "engineer": "Failed"}


def step_page(review: StepReview, action_url: str) -> str:
    step, kind = review.step, review.request.kind
    token = escape(review.token, quote=True)
    note = f"<p class='small'>{escape(step.note)}</p>" if step.note else ""
    if kind == "engineer" and step.reviewer_note:
        note += f"<p class='small'>The approver's note: {escape(step.reviewer_note)}</p>"
    ask = (
        "Please do this step, then tell us how it went."
        if kind == "customer"
        else f"This step of ticket {escape(review.ticket.ticket_id)} is assigned to you. Carry it out, then mark it."
    )
    return page(
        f"{step.title}: {review.ticket.ticket_id}",
        f"<h1>{escape(step.title)}</h1>"
        f"<p class='muted'>Ticket <strong>{escape(review.ticket.ticket_id)}</strong>: "
        f"{escape(review.ticket.subject)}</p>"
        f"<div class='card'><p>{escape(step.instructions)}</p>{note}</div>"
        f"<p>{ask} Opening this page changed nothing.</p>"
        f"<form method='post' action='{escape(action_url, quote=True)}'>"
        f"<input type='hidden' name='token' value='{token}'>"
        f"<label class='field' for='note'>A note (optional, up to {MAX_STEP_NOTE_CHARS} characters)</label>"
        f"<textarea id='note' name='note' maxlength='{MAX_STEP_NOTE_CHARS}'></textarea>"
        "<div class='decision approve'><button class='approve' name='outcome' value='done'>Done</button>"
        "<p class='small'>The next step of the plan goes ahead.</p></div>"
        "<div class='decision reject'><button class='reject' name='outcome' value='failed'>"
        f"{escape(_FAILED[kind])}</button>"
        "<p class='small'>The plan stops here and the support team takes it from there.</p></div>"
        "</form>"
        f"<p class='muted'>This link works until {review.request.link_expires_at:%Y-%m-%d %H:%M UTC}, once.</p>",
    )


def reported_page(ticket_id: str, report: StepReport) -> str:
    if report.outcome == "done":
        title, tone, detail = "Thank you", "ok", "<p>The next step of the plan goes ahead.</p>"
    else:
        title, tone, detail = "Thank you for telling us", "warn", "<p>The support team takes it from here.</p>"
    said = f"<p>Your note: {escape(report.note)}</p>" if report.note else ""
    return page(
        f"{title}: {ticket_id}",
        f"<div class='card {tone}' id='outcome'><h1>{title}</h1><p>Ticket <strong>{escape(ticket_id)}</strong>.</p>"
        f"{detail}{said}<p class='muted'>Reported at {report.reported_at:%Y-%m-%d %H:%M:%S UTC}.</p></div>",
    )
