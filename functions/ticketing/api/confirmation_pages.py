"""HTML pages for the customer's confirmation link: the question (GET, decides nothing) and the answer."""

from __future__ import annotations

from html import escape

from ..domain.models import MAX_COMMENT_CHARS, ConfirmationAnswer
from ..logic.confirmation import ConfirmationReview
from .pages import page


def confirmation_page(review: ConfirmationReview, action_url: str) -> str:
    steps = "".join(
        f"<li class='step'><span class='title'>{escape(s.title)}</span>"
        f"<span class='what'>{escape(s.instructions)}</span></li>"
        for s in review.plan.steps
    )
    results = {r.action_id: r for r in review.checkpoint.data.step_results}
    outcomes = "".join(
        f"<li><strong>{escape(s.title)}</strong>: {escape(results[s.action_id].status)}</li>"
        for s in review.plan.steps
        if s.action_id in results
    )
    token = escape(review.token, quote=True)
    return page(
        f"Is your issue resolved? {review.ticket.ticket_id}",
        "<h1>Is your issue resolved?</h1>"
        f"<p class='muted'>Ticket <strong>{escape(review.ticket.ticket_id)}</strong>: "
        f"{escape(review.ticket.subject)}</p>"
        f"<div class='card'><h2>What we ran</h2><ol class='steps'>{steps}</ol>"
        + (f"<ul class='small'>{outcomes}</ul>" if outcomes else "")
        + "</div>"
        "<p>Please test your system, then tell us. Opening this page changed nothing.</p>"
        f"<form method='post' action='{escape(action_url, quote=True)}'>"
        f"<input type='hidden' name='token' value='{token}'>"
        f"<label class='field' for='comment'>What do you see? (optional, up to {MAX_COMMENT_CHARS} characters)</label>"
        f"<textarea id='comment' name='comment' maxlength='{MAX_COMMENT_CHARS}'></textarea>"
        "<div class='decision approve'><button class='approve' name='answer' value='yes'>Yes, it works</button>"
        "<p class='small'>We close the ticket.</p></div>"
        "<div class='decision reject'><button class='reject' name='answer' value='no'>No, it still happens</button>"
        "<p class='small'>We reopen the ticket and look at it again with what you wrote.</p></div>"
        "</form>"
        f"<p class='muted'>This link works until {review.expires_at:%Y-%m-%d %H:%M UTC}, once.</p>",
    )


def answered_page(ticket_id: str, answer: ConfirmationAnswer, ticket_url: str) -> str:
    if answer.outcome == "resolved":
        title, tone, detail = "Thank you", "ok", "<p>We close the ticket.</p>"
    else:
        title, tone = "We are on it", "warn"
        detail = "<p>We reopen the ticket and look at it again with what you wrote.</p>"
    said = f"<p>Your comment: {escape(answer.comment)}</p>" if answer.comment else ""
    return page(
        f"{title}: {ticket_id}",
        f"<div class='card {tone}' id='outcome'><h1>{title}</h1><p>Ticket <strong>{escape(ticket_id)}</strong>.</p>"
        f"{detail}{said}<p class='muted'>Answered at {answer.answered_at:%Y-%m-%d %H:%M:%S UTC}.</p></div>",
    )
