"""HTML pages for the approver: the confirmation page, the outcome, and errors.

Every value from a ticket is escaped; the pages carry no script.
"""

from __future__ import annotations

from html import escape

from ..domain.models import Decision
from ..logic.approvals import ApprovalReview

_STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:720px;margin:32px auto;
padding:0 16px;color:#1f2933;line-height:1.5}
h1{font-size:1.5rem;margin-bottom:4px} .muted{color:#616e7c;font-size:.9rem}
.card{border:1px solid #d9e2ec;border-radius:8px;padding:16px 20px;margin:16px 0;background:#f8fafc}
ol li{margin-bottom:10px} code{background:#e4e7eb;padding:1px 5px;border-radius:4px;font-size:.85em}
textarea{width:100%;min-height:70px;font:inherit;padding:8px;box-sizing:border-box}
.actions{display:flex;gap:12px;margin-top:12px}
button{font:inherit;font-weight:600;padding:10px 22px;border-radius:6px;border:0;cursor:pointer}
.approve{background:#0b7a3e;color:#fff} .reject{background:#b42318;color:#fff}
.badge{display:inline-block;padding:2px 10px;border-radius:999px;background:#e0e8f9;font-size:.85rem}
.ok{border-color:#0b7a3e} .bad{border-color:#b42318}
"""


def page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<meta name='robots' content='noindex'>"
        f"<title>{escape(title)} · supportflow</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def approval_page(review: ApprovalReview, action_url: str) -> str:
    ticket, data = review.ticket, review.checkpoint.data
    analysis, plan, approval = data.analysis, data.plan, data.approval
    assert analysis is not None and plan is not None and approval is not None
    steps = "".join(
        f"<li><strong>{escape(s.title)}</strong> <code>{escape(s.action_id)}</code><br>"
        f"<span class='muted'>{escape(s.instructions)}</span>"
        + (f"<br>The assistant's note (model-written): {escape(s.note)}" if s.note else "")
        + "</li>"
        for s in plan.steps
    )
    return page(
        f"Approve ticket {ticket.ticket_id}",
        f"<h1>Review the proposed resolution</h1>"
        f"<p class='muted'>Ticket <strong>{escape(ticket.ticket_id)}</strong> from customer "
        f"{escape(ticket.customer_id)}, submitted {ticket.submitted_at:%Y-%m-%d %H:%M UTC}</p>"
        f"<div class='card'><strong>{escape(ticket.subject or analysis.summary)}</strong>"
        f"<p>{escape(ticket.description)}</p></div>"
        f"<p><span class='badge'>category: {escape(analysis.category.value)}</span> "
        f"<span class='badge'>severity: {escape(analysis.severity.value)}</span></p>"
        f"<p class='muted'>{escape(analysis.explanation)}</p>"
        f"<h2>Proposed plan</h2><ol id='plan'>{steps}</ol>"
        f"<p class='muted'>Plan hash <code>{escape((data.plan_hash or '')[:16])}</code>. "
        "Approving runs exactly these steps.</p>"
        f"<form method='post' action='{escape(action_url, quote=True)}'>"
        f"<input type='hidden' name='token' value='{escape(review.token, quote=True)}'>"
        "<label for='comment'>Comment (optional)</label>"
        "<textarea id='comment' name='comment' maxlength='1000'></textarea>"
        "<div class='actions'>"
        "<button class='approve' type='submit' name='decision' value='approve'>Approve</button>"
        "<button class='reject' type='submit' name='decision' value='reject'>Reject</button>"
        "</div></form>"
        f"<p class='muted'>This link expires at {approval.link_expires_at:%Y-%m-%d %H:%M UTC} and works once.</p>",
    )


def decision_page(ticket_id: str, decision: Decision, ticket_url: str) -> str:
    if decision.outcome == "approved":
        title, note, tone = "Approved", "The approved plan is now being executed.", "ok"
    else:
        title, note, tone = "Rejected", "Nothing will run; the customer will be told.", "bad"
    comment = f"<p>Your comment: {escape(decision.comment)}</p>" if decision.comment else ""
    return page(
        f"{title}: {ticket_id}",
        f"<div class='card {tone}' id='outcome'><h1>{title}</h1>"
        f"<p>Ticket <strong>{escape(ticket_id)}</strong>: {note}</p>{comment}"
        f"<p class='muted'>Decided at {decision.decided_at:%Y-%m-%d %H:%M:%S UTC}.</p></div>"
        f"<p><a href='{escape(ticket_url, quote=True)}'>Ticket status (JSON)</a></p>",
    )


def error_page(status: int, code: str, message: str) -> str:
    titles = {403: "Link not valid", 404: "Not found", 409: "Already decided", 410: "Link expired"}
    title = titles.get(status, "Something went wrong")
    return page(
        title,
        f"<div class='card bad' id='error'><h1>{escape(title)}</h1><p>{escape(message)}</p>"
        f"<p class='muted'>Error code: <code>{escape(code)}</code> (HTTP {status})</p></div>",
    )
