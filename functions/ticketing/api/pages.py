"""HTML pages for the approver: the confirmation page, the outcome, and errors.

Every value from a ticket, a model or a reviewer is escaped, and the pages carry no
script: the review is a plain form (checkboxes keep or add steps, repeated `steps`
fields post them in order), and moving a step is a link to the same page with the
new order in its query, which a GET may serve because a GET decides nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from urllib.parse import urlencode

from ..domain.models import (
    MAX_COMMENT_CHARS,
    MAX_STEP_NOTE_CHARS,
    ApprovalRound,
    Decision,
    PlanChanges,
    ResolutionPlan,
    ResolutionStep,
    Vote,
)
from ..domain.notifications import NEUTRAL_REJECTION
from ..logic.approvals import ApprovalReview

_STYLE = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#d9e2ec;--soft:#f5f7fa;--ok:#0b7a3e;--bad:#b42318;--warn:#9a6700;
--accent:#2457c5}
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:760px;margin:32px auto;
padding:0 16px;color:var(--ink);line-height:1.5}
h1{font-size:1.55rem;margin:0 0 4px} h2{font-size:1.15rem;margin:28px 0 6px} h3{font-size:1.02rem;margin:0 0 4px}
.muted{color:var(--muted);font-size:.9rem} .small{font-size:.85rem}
.card{border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0;background:var(--soft)}
.facts{display:flex;flex-wrap:wrap;gap:6px 28px;margin:14px 0;padding:10px 16px;border-radius:8px;
background:#eef2f7}
.facts div{min-width:0} .facts dt{font-size:.72rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.facts dd{margin:0;font-weight:600;overflow-wrap:anywhere}
code{background:#e4e7eb;padding:1px 5px;border-radius:4px;font-size:.82em;overflow-wrap:anywhere}
.badge{display:inline-block;padding:2px 10px;border-radius:999px;background:#e0e8f9;font-size:.85rem}
.steps{list-style:none;padding:0;margin:8px 0;counter-reset:step}
.step{border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin:8px 0;background:#fff}
.step-head{display:flex;align-items:flex-start;gap:10px}
.step-head label{flex:1;cursor:pointer} .step-head input{margin:5px 2px 0 0;transform:scale(1.15)}
#plan .step-head::before{content:"\2013";flex:none;width:1.6em;height:1.6em;border-radius:50%;
background:#c1c7cd;color:#fff;font-size:.8rem;font-weight:700;text-align:center;line-height:1.6em;margin-top:2px}
#plan .step:has(.step-head input:checked) .step-head::before{counter-increment:step;content:counter(step);
background:var(--accent)}
.title{font-weight:600} .what{display:block;color:var(--muted);font-size:.9rem}
.move{display:flex;flex-direction:column;gap:4px;flex:none;width:7.2em}
.move a{display:block;font-size:.8rem;color:var(--accent);text-decoration:none;border:1px solid var(--line);
border-radius:5px;padding:1px 8px;white-space:nowrap;background:#fff} .move a:hover{background:#eef2f7}
#plan .step:has(.step-head input:not(:checked)) .title{text-decoration:line-through;color:var(--muted)}
#plan .step:has(.step-head input:not(:checked)){background:var(--soft);border-style:dashed}
#addable .step:has(.step-head input:checked){border-color:var(--accent);box-shadow:0 0 0 1px var(--accent)}
.model-note{margin:6px 0 0;padding:6px 10px;border-left:3px solid #b6c2d2;background:var(--soft);font-size:.9rem}
details{margin-top:6px} summary{cursor:pointer;color:var(--accent);font-size:.88rem}
textarea{width:100%;min-height:64px;font:inherit;padding:8px;box-sizing:border-box;border:1px solid #bcccdc;
border-radius:6px;margin-top:4px}
label.field{display:block;font-weight:600;font-size:.92rem;margin-top:8px}
.decision{border:1px solid var(--line);border-left:5px solid var(--line);border-radius:8px;padding:14px 18px;
margin:12px 0;background:#fff}
.decision.approve{border-left-color:var(--ok)} .decision.revise{border-left-color:var(--warn)}
.decision.reject{border-left-color:var(--bad)} .decision p{margin:4px 0 8px}
.check{display:flex;gap:8px;align-items:flex-start;margin:8px 0;font-size:.92rem}
button{font:inherit;font-weight:600;padding:9px 20px;border-radius:6px;border:0;cursor:pointer;margin-top:10px}
button.approve{background:var(--ok);color:#fff} button.reject{background:var(--bad);color:#fff}
button.revise{background:var(--warn);color:#fff}
.notice{border-radius:8px;padding:10px 14px;margin:12px 0;background:#fff8e6;border:1px solid #f0d58c}
.ok{border-color:var(--ok)} .bad{border-color:var(--bad)} .warn{border-color:var(--warn)}
.outcome-steps li{margin-bottom:8px}
fieldset.read-only{border:0;padding:0;margin:0;min-width:0}
"""

_TIME = "%Y-%m-%d %H:%M UTC"
_SOURCES = {
    "catalog": "the resolution catalog (no model wrote these steps)",
    "model": "the planning agent (model-written)",
    "reviewer": "a reviewer's edit from the previous round",
}


def page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<meta name='robots' content='noindex'>"
        f"<title>{escape(title)} · supportflow</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _when(moment: datetime) -> str:
    return moment.strftime(_TIME)


def approval_page(
    review: ApprovalReview, action_url: str, order: Sequence[str] | None = None, *, read_only: bool = False
) -> str:
    """The plan to review, as a form that works without script; `order` lists the proposed steps as shown.

    `read_only`: the page as an operator sees it (the local console): no token, no move links, every
    control disabled, so it shows what the approver sees and can decide nothing.
    """
    ticket, data = review.ticket, review.checkpoint.data
    analysis, plan, approval = data.analysis, data.plan, data.approval
    assert analysis is not None and plan is not None and approval is not None
    by_id = {s.action_id: s for s in plan.steps}
    shown = [by_id[a] for a in (order or plan.action_ids)]
    ids = [s.action_id for s in shown]
    kept = "".join(_proposed_step(step, i, ids, review.token, movable=not read_only) for i, step in enumerate(shown))
    added = "".join(_addable_step(step) for step in review.addable)
    add_section = (
        "<h2>Add a step</h2><p class='muted'>Allowed catalog actions for this ticket that the plan does not "
        "include. A ticked one runs after the steps above, in the order listed here.</p>"
        f"<ul class='steps' id='addable'>{added}</ul>"
        if added
        else ""
    )
    token = "" if read_only else f"<input type='hidden' name='token' value='{_attr(review.token)}'>"
    action = _attr(action_url)
    # A disabled fieldset disables every control inside it: the read-only page cannot post anything.
    lock, unlock = ("<fieldset disabled class='read-only'>", "</fieldset>") if read_only else ("", "")
    banner = (
        "<p class='notice' id='read-only'>Read-only view for operators: each approver sees this page through "
        "the link in their own email. Nothing on this page can decide.</p>"
        if read_only
        else ""
    )
    return page(
        f"Review ticket {ticket.ticket_id}",
        f"{banner}<h1>Review the proposed resolution</h1>"
        f"<p class='muted'>Ticket <strong>{escape(ticket.ticket_id)}</strong> from customer "
        f"{escape(ticket.customer_id)}, submitted {_when(ticket.submitted_at)}</p>"
        "<dl class='facts' id='facts'>"
        f"<div><dt>Deciding as</dt><dd id='approver'>{escape(review.approver or approval.approver_email)}</dd></div>"
        f"<div><dt>Round</dt><dd id='round'>review round {review.round_number} of {review.max_rounds}</dd></div>"
        f"<div><dt>This link works until</dt><dd id='expires'>{_when(approval.link_expires_at)}, once</dd></div>"
        "</dl>"
        f"{_quorum(review)}"
        f"<div class='card'><strong>{escape(ticket.subject or analysis.summary)}</strong>"
        f"<p>{escape(ticket.description)}</p></div>"
        f"<p><span class='badge'>category: {escape(analysis.category.value)}</span> "
        f"<span class='badge'>severity: {escape(analysis.severity.value)}</span></p>"
        f"<p class='muted'>{escape(analysis.explanation)}</p>"
        f"{_earlier_rounds(data.rounds)}"
        f"<form method='post' action='{action}' id='review'>{token}{lock}"
        # Says "these are the steps" even when every box is unticked (then the edit is refused as empty),
        # because a form that sends no `steps` at all means "the plan as proposed".
        "<input type='hidden' name='steps' value=''>"
        "<h2>Proposed plan</h2>"
        f"<p class='muted'>Proposed by {escape(_SOURCES.get(plan.source, plan.source))}. Untick a step to drop "
        "it; <em>Move up</em> and <em>Move down</em> reload this page with the new order, so move steps "
        "before you untick them or write notes.</p>"
        f"<ol class='steps' id='plan'>{kept}</ol>"
        f"{add_section}"
        "<h2>Your decision</h2>"
        f"{_last_round_notice(review)}"
        "<section class='decision approve' id='approve'><h3>Approve</h3>"
        "<p>Runs exactly the ticked steps, in the order shown, with your notes for the engineer; the customer "
        "is told which steps will run.</p>"
        "<label class='field' for='comment'>Comment (optional)</label>"
        f"<textarea id='comment' name='comment' maxlength='{MAX_COMMENT_CHARS}'></textarea>"
        "<button class='approve' type='submit' name='decision' value='approve'>Approve</button></section>"
        f"{_revise_section(review)}"
        f"{unlock}</form>"
        f"<form method='post' action='{action}' id='reject-form'>{token}{lock}"
        "<section class='decision reject' id='reject'><h3>Reject</h3>"
        "<p>Nothing runs, and the ticket closes as rejected. Your edits above are ignored.</p>"
        "<label class='field' for='reason'>Reason (required)</label>"
        f"<textarea id='reason' name='reason' maxlength='{MAX_COMMENT_CHARS}' required></textarea>"
        "<label class='check'><input type='checkbox' name='notify_customer' value='true' id='notify_customer'>"
        "<span>Send this reason to the customer. Unticked, their email says only: "
        f"&ldquo;{escape(NEUTRAL_REJECTION)}&rdquo;</span></label>"
        "<button class='reject' type='submit' name='decision' value='reject'>Reject</button></section>"
        f"{unlock}</form>"
        f"<p class='muted small'>Plan hash <code>{escape((data.plan_hash or '')[:16])}</code>. The first decision "
        f"sent through this link is final; the link stops working at {_when(approval.link_expires_at)}.</p>",
    )


def _proposed_step(step: ResolutionStep, index: int, ids: list[str], token: str, *, movable: bool = True) -> str:
    steps = (-1, 1) if movable else ()
    moves = "".join(_move_link(ids, index, by, token) for by in steps if 0 <= index + by < len(ids))
    return (
        f"<li class='step' id='step-{_attr(step.action_id)}'><div class='step-head'>"
        f"<input type='checkbox' name='steps' value='{_attr(step.action_id)}' "
        f"id='keep-{_attr(step.action_id)}' checked>"
        f"<label for='keep-{_attr(step.action_id)}'>{_step_text(step)}</label>"
        f"<span class='move'>{moves}</span></div>{_model_note(step)}{_note_field(step)}</li>"
    )


def _addable_step(step: ResolutionStep) -> str:
    return (
        f"<li class='step' id='add-{_attr(step.action_id)}'><div class='step-head'>"
        f"<input type='checkbox' name='steps' value='{_attr(step.action_id)}' id='pick-{_attr(step.action_id)}'>"
        f"<label for='pick-{_attr(step.action_id)}'>{_step_text(step)}</label></div>{_note_field(step)}</li>"
    )


def _step_text(step: ResolutionStep) -> str:
    return (
        f"<span class='title'>{escape(step.title)}</span> <code>{escape(step.action_id)}</code>"
        f"<span class='what'>{escape(step.instructions)}</span>"
    )


def _model_note(step: ResolutionStep) -> str:
    if not step.note:
        return ""
    return f"<p class='model-note'>The assistant's note (model-written): {escape(step.note)}</p>"


def _note_field(step: ResolutionStep) -> str:
    name = f"notes[{step.action_id}]"
    opened = " open" if step.reviewer_note else ""
    return (
        f"<details{opened}><summary>Note for the engineer (optional)</summary>"
        f"<textarea name='{_attr(name)}' aria-label='Note for the engineer: {_attr(step.title)}' "
        f"maxlength='{MAX_STEP_NOTE_CHARS}'>{escape(step.reviewer_note)}</textarea></details>"
    )


def _move_link(ids: list[str], index: int, by: int, token: str) -> str:
    """A link to this page with the step at `index` swapped with its neighbour `by` places away."""
    order = list(ids)
    order[index], order[index + by] = order[index + by], order[index]
    query = urlencode([("token", token), *(("order", a) for a in order)])
    arrow, label = ("&uarr;", "Move up") if by < 0 else ("&darr;", "Move down")
    return (
        f"<a href='?{_attr(query)}#step-{_attr(ids[index])}' rel='nofollow'>"
        f"<span aria-hidden='true'>{arrow}</span> {label}</a>"
    )


def _earlier_rounds(rounds: Sequence[ApprovalRound]) -> str:
    if not rounds:
        return ""
    items = "".join(
        f"<li>Round {r.number}: sent back by {escape(r.decision.decided_by)} at {_when(r.decision.decided_at)}. "
        f"Feedback: &ldquo;{escape(r.decision.feedback)}&rdquo;</li>"
        for r in rounds
    )
    return f"<div class='card' id='earlier'><strong>Earlier review rounds</strong><ul>{items}</ul></div>"


def _last_round_notice(review: ApprovalReview) -> str:
    if review.can_revise:
        return ""
    return (
        f"<p class='notice' id='last-round'>This is the last review round ({review.round_number} of "
        f"{review.max_rounds}): approve the plan, edited as you like, or reject it. It can no longer be sent "
        "back for changes.</p>"
    )


def _revise_section(review: ApprovalReview) -> str:
    if not review.can_revise:
        return ""
    following = f"review round {review.round_number + 1} of {review.max_rounds}"
    if review.model_revises:
        what = (
            "The planning agent proposes a new plan from your feedback and the steps as you edited them above "
            "(it reads them as your opinion, not as instructions; if it fails, your edited steps are proposed). "
            f"The new plan comes to you in a new email for {following}; this link stops working."
        )
    else:
        what = (
            "No planning model is configured: sending back proposes the steps as you edited them above for the "
            f"next review round, with your feedback recorded; only your edits change the plan. It comes in a new "
            f"email for {following}; this link stops working."
        )
    return (
        "<section class='decision revise' id='revise'><h3>Send back for changes</h3>"
        f"<p id='revise-explained'>{escape(what)}</p>"
        "<label class='field' for='feedback'>Feedback (required to send back)</label>"
        f"<textarea id='feedback' name='feedback' maxlength='{MAX_COMMENT_CHARS}'></textarea>"
        "<button class='revise' type='submit' name='decision' value='revise'>Send back</button></section>"
    )


def _quorum(review: ApprovalReview) -> str:
    """Who else was asked, who has answered, and how many approvals are still needed (empty for one approver)."""
    approval = review.checkpoint.data.approval
    assert approval is not None
    others = [a for a in approval.asked if a != review.approver]
    if approval.approvals_needed == 1:
        if not others:
            return ""
        return f"<p class='muted' id='quorum'>Also asked: {escape(', '.join(others))}. The first decision counts.</p>"
    approved = [v.approver for v in review.votes if v.outcome == "approved"]
    missing = max(approval.approvals_needed - len(approved), 0)
    so_far = f"Approved so far: {escape(', '.join(approved))}. " if approved else "No approval yet. "
    return (
        f"<div class='card' id='quorum'><strong>This plan needs {approval.approvals_needed} approvals</strong> "
        f"(policy rule '{escape(approval.rule)}', group {escape(approval.group)}: {escape(', '.join(approval.asked))})."
        f"<p>{so_far}Still needed: {missing}. One rejection rejects it; approvals count only for the same plan, "
        "so an approver who wants other steps should send the plan back.</p></div>"
    )


def vote_page(ticket_id: str, vote: Vote, approvals: int, needed: int, ticket_url: str) -> str:
    """An approval recorded while the policy waits for more approvers of the same plan."""
    return page(
        f"Approval recorded: {ticket_id}",
        f"<div class='card ok' id='outcome'><h1>Your approval is recorded</h1>"
        f"<p>Ticket <strong>{escape(ticket_id)}</strong> needs {needed} approvals of the same plan; "
        f"{approvals} of {needed} so far. Nothing runs until the others approve; any rejection rejects it.</p>"
        f"<p class='muted'>Recorded for {escape(vote.approver)} at {vote.decided_at:%Y-%m-%d %H:%M:%S UTC}.</p></div>"
        f"<p><a href='{escape(ticket_url, quote=True)}'>Ticket status (JSON)</a></p>",
    )


def decision_page(ticket_id: str, decision: Decision, ticket_url: str, max_rounds: int | None = None) -> str:
    """What the approver's decision does: the steps that run, the next round, or the rejection as sent."""
    comment = f"<p>Your comment: {escape(decision.comment)}</p>" if decision.comment else ""
    if decision.outcome == "approved":
        title, tone = "Approved", "ok"
        detail = _will_run(decision.approved_plan, decision.changes)
    elif decision.outcome == "changes_requested":
        title, tone = "Sent back for changes", "warn"
        detail = _sent_back(decision, max_rounds)
    else:
        title, tone = "Rejected", "bad"
        told = (
            "The customer's email carries your reason."
            if decision.notify_customer
            else f"The customer's email says only: &ldquo;{escape(NEUTRAL_REJECTION)}&rdquo; Your reason stays "
            "with the ticket."
        )
        detail = (
            f"<p>Nothing will run.</p><p>Your reason: {escape(decision.reason)}</p><p id='customer-told'>{told}</p>"
        )
    return page(
        f"{title}: {ticket_id}",
        f"<div class='card {tone}' id='outcome'><h1>{title}</h1>"
        f"<p>Ticket <strong>{escape(ticket_id)}</strong>.</p>{detail}{comment}"
        f"<p class='muted'>Decided by {escape(decision.decided_by)} at "
        f"{decision.decided_at:%Y-%m-%d %H:%M:%S UTC} (review round {decision.round}).</p></div>"
        f"<p><a href='{_attr(ticket_url)}'>Ticket status (JSON)</a></p>",
    )


def _will_run(plan: ResolutionPlan | None, changes: PlanChanges) -> str:
    if plan is None:
        return "<p>The approved plan is now being executed.</p>"
    steps = "".join(
        f"<li><strong>{escape(s.title)}</strong> <code>{escape(s.action_id)}</code>"
        + (
            f"<br><span class='muted'>Your note for the engineer: {escape(s.reviewer_note)}</span>"
            if s.reviewer_note
            else ""
        )
        + "</li>"
        for s in plan.steps
    )
    changed = [
        f"{what} {', '.join(escape(a) for a in ids)}"
        for what, ids in (("dropped", changes.dropped), ("added", changes.added), ("moved", changes.moved))
        if ids
    ]
    summary = f"<p class='muted'>Your edits: {'; '.join(changed)}.</p>" if changed else ""
    return (
        "<p>These steps run now, exactly and in this order; the customer is told which.</p>"
        f"<ol class='outcome-steps' id='will-run'>{steps}</ol>{summary}"
    )


def _sent_back(decision: Decision, max_rounds: int | None) -> str:
    following = f"review round {decision.round + 1}" + (f" of {max_rounds}" if max_rounds else "")
    codes = ", ".join(f"<code>{escape(a)}</code>" for a in decision.requested_steps)
    asked = f"<p>Steps you asked for, in order: {codes}</p>" if codes else ""
    return (
        f"<p>Nothing runs yet. A new email for {following} will come to {escape(decision.decided_by)} with the "
        "revised plan and a new link; this link no longer works.</p>"
        f"<p>Your feedback: {escape(decision.feedback)}</p>{asked}"
    )


# Refusals the approver can fix on the page they came from: the link still works, nothing was decided.
_FIX_ON_THE_PAGE = {
    "invalid_plan_edit": "Please check the plan",
    "invalid_decision": "Please check the form",
    "invalid_comment": "Please check the form",
    "revision_limit_reached": "This is the last review round",
}
_TITLES = {403: "Link not valid", 404: "Not found", 409: "Already decided", 410: "Link expired"}


def error_page(status: int, code: str, message: str) -> str:
    title = _FIX_ON_THE_PAGE.get(code) or _TITLES.get(status, "Something went wrong")
    back = (
        "<p>Go back to the page (your browser's Back button keeps what you entered), correct it and decide again.</p>"
        if code in _FIX_ON_THE_PAGE
        else ""
    )
    return page(
        title,
        f"<div class='card bad' id='error'><h1>{escape(title)}</h1><p>{escape(message)}</p>{back}"
        f"<p class='muted'>Error code: <code>{escape(code)}</code> (HTTP {status})</p></div>",
    )
