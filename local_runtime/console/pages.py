"""The console's HTML: the ticket list and a ticket's page.

Every value that came from a customer, a model, an approver or the stack is escaped
(`_e`); the pages carry no script and load nothing (styles inline, the state machine
an inline SVG, the icon a data URL), so a strict Content-Security-Policy holds. The
list refreshes itself with a meta refresh; a checkpoint's data unfolds with <details>.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from .data import TicketDetails, TicketRow
from .graph import SVG_STYLE

CONSOLE = "/_local/console"
STATES = (
    "RECEIVED",
    "ANALYZING",
    "FINDING_SOLUTION",
    "AWAITING_APPROVAL",
    "EXECUTING",
    "RESUMING",
    "COMPLETED",
    "REJECTED",
    "EXPIRED",
    "FAILED",
)

_STYLE = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#d9e2ec;--soft:#f5f7fa;--ok:#0b7a3e;--bad:#b42318;--run:#2457c5}
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1280px;margin:24px auto;padding:0 16px;
color:var(--ink);line-height:1.45}
h1{font-size:1.45rem;margin:0 0 4px} h2{font-size:1.1rem;margin:28px 0 8px}
a{color:var(--run)} .muted{color:var(--muted);font-size:.88rem}
nav{display:flex;gap:18px;font-size:.9rem;margin-bottom:14px}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code,pre{font-family:SFMono-Regular,Menlo,Consolas,monospace;font-size:.82rem}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:10px;overflow:auto;max-height:480px}
.state{display:inline-block;padding:1px 9px;border-radius:999px;font-size:.78rem;font-weight:600;background:#e0e8f9}
.state.COMPLETED{background:#d8f0e2;color:var(--ok)} .state.FAILED,.state.EXPIRED,.state.REJECTED{background:#fde8e7;
color:var(--bad)} .state.AWAITING_APPROVAL{background:#fff3c4;color:#7a5200}
.facts{display:flex;flex-wrap:wrap;gap:6px 28px;margin:12px 0;padding:10px 14px;border-radius:8px;background:#eef2f7}
.facts dt{font-size:.72rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.facts dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.two{display:grid;grid-template-columns:minmax(0,1.7fr) minmax(300px,1fr);gap:24px;align-items:start}
@media (max-width:1000px){.two{grid-template-columns:1fr}}
.graph{border:1px solid var(--line);border-radius:8px;padding:8px;overflow:auto;background:#fff}
.legend{display:flex;gap:14px;flex-wrap:wrap;font-size:.8rem;color:var(--muted);margin:6px 0}
.legend span::before{content:"";display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:5px;
vertical-align:-2px;border:1px solid #9aa5b1;background:var(--c)}
form.filter{display:flex;gap:10px;align-items:center;margin:10px 0}
select,button{font:inherit;padding:4px 8px}
details summary{cursor:pointer;color:var(--run)}
.description{white-space:pre-wrap;background:var(--soft);border-radius:6px;padding:10px 12px}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _href(*parts: str, query: Mapping[str, str] | None = None) -> str:
    path = "/".join(quote(p, safe="") for p in parts)
    return _e(f"{CONSOLE}/{path}" + (f"?{urlencode(query)}" if query else ""))


def page(title: str, body: str, *, refresh_seconds: int | None = None) -> str:
    refresh = f"<meta http-equiv='refresh' content='{refresh_seconds}'>" if refresh_seconds else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"{refresh}<link rel='icon' href='data:,'>"
        f"<title>{_e(title)} · supportflow console</title><style>{_STYLE}{SVG_STYLE}</style></head>"
        f"<body><nav><a href='{CONSOLE}'>Tickets</a><a href='/_local/mail'>Outbox</a>"
        f"<a href='/openapi.json'>API</a></nav>{body}</body></html>"
    )


def age(seconds: float) -> str:
    """An age in the two largest units: 42s, 3m 12s, 2h 5m, 3d 4h."""
    s = max(int(seconds), 0)
    for unit, size, small, small_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60), ("m", 60, "s", 1)):
        if s >= size:
            return f"{s // size}{unit} {(s % size) // small_size}{small}"
    return f"{s}s"


def _state(state: str) -> str:
    return f"<span class='state {_e(state)}'>{_e(state)}</span>"


def list_page(rows: Sequence[TicketRow], now: datetime, state: str | None, refresh_seconds: int = 5) -> str:
    options = "".join(f"<option value='{_e(s)}'{' selected' if s == state else ''}>{_e(s)}</option>" for s in STATES)
    body_rows = "".join(
        f"<tr data-ticket='{_e(r.ticket_id)}'><td><a href='{_href('tickets', r.ticket_id)}'>{_e(r.ticket_id)}</a></td>"
        f"<td>{_e(r.customer_id)}</td><td>{_e(r.subject)}</td><td>{_state(r.state)}</td><td>{_e(r.category)}</td>"
        f"<td>{_e(r.severity)}</td><td class='num' title='{_e(r.submitted_at.isoformat())}'>"
        f"{_e(age((now - r.submitted_at).total_seconds()))}</td><td>{_e(r.waits_on)}</td></tr>"
        for r in rows
    )
    empty = (
        ""
        if rows
        else "<tr><td colspan='8'>No tickets"
        + (f" in state {_e(state)}" if state else "")
        + ". Submit one with POST /tickets.</td></tr>"
    )
    shown = f" in state {_e(state)}" if state else ""
    return page(
        "Tickets",
        f"<h1>Tickets</h1><p class='muted'>{len(rows)} ticket{'s' if len(rows) != 1 else ''}{shown}, newest first; "
        f"this page refreshes every {refresh_seconds} s. JSON: <a href='{CONSOLE}/tickets.json'>"
        f"{CONSOLE}/tickets.json</a></p>"
        f"<form class='filter' method='get' action='{CONSOLE}'><label for='state'>State</label>"
        f"<select id='state' name='state'><option value=''>any</option>{options}</select>"
        "<button type='submit'>Filter</button></form>"
        "<table id='tickets'><thead><tr><th>Ticket</th><th>Customer</th><th>Subject</th><th>State</th>"
        "<th>Category</th><th>Severity</th><th>Age</th><th>Waits on</th></tr></thead>"
        f"<tbody>{body_rows}{empty}</tbody></table>",
        refresh_seconds=refresh_seconds,
    )


def _when(moment: datetime | str | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _executions(details: TicketDetails) -> str:
    parts = []
    for execution in details.executions:
        rows = "".join(
            f"<tr><td>{_e(s.name)}</td><td class='num'>+{s.at_ms:.1f} ms</td><td class='num'>"
            f"{f'{s.took_ms:.1f} ms' if s.took_ms is not None else 'now'}</td></tr>"
            for s in execution.states
        )
        parts.append(
            f"<h3 class='execution' data-execution='{_e(execution.name)}'>{_e(execution.name)} "
            f"{_state(execution.status)}</h3><p class='muted'>started {_e(_when(execution.started_at))}"
            f"{' · stopped ' + _e(_when(execution.stopped_at)) if execution.stopped_at else ''}"
            f" · last event {_e(execution.last_event)}</p>"
            "<table class='history'><thead><tr><th>State</th><th>Entered</th><th>Took</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    return "<h2 id='history'>Execution history</h2>" + ("".join(parts) or "<p class='muted'>No execution.</p>")


def _checkpoints(details: TicketDetails) -> str:
    rows = "".join(
        f"<tr id='checkpoint-{c.checkpoint.sequence}'><td class='num'>#{c.checkpoint.sequence}</td>"
        f"<td>{_state(c.checkpoint.state.value)}</td><td>{_e(_when(c.checkpoint.created_at))}</td>"
        f"<td class='written-by'>{_e(c.written_by or '?')}<div class='muted'>{_e(c.execution)}</div></td>"
        f"<td><code>{_e(c.checkpoint.step_key)}</code><details><summary>data</summary>"
        f"<pre>{_e(c.data_json)}</pre></details></td></tr>"
        for c in details.checkpoints
    )
    empty = "" if rows else "<tr><td colspan='5'>No checkpoint yet.</td></tr>"
    return (
        "<h2 id='trail'>Checkpoint trail</h2><p class='muted'>AgentCore Memory, oldest first. "
        "<em>Written by</em> is the state machine state (and execution) that wrote each checkpoint.</p>"
        "<table id='checkpoints'><thead><tr><th>#</th><th>State</th><th>Saved</th><th>Written by</th>"
        f"<th>Step key and data</th></tr></thead><tbody>{rows}{empty}</tbody></table>"
    )


def _votes(votes: Sequence[Any]) -> str:
    return "; ".join(f"{v.approver} {v.outcome} at {_when(v.decided_at)}" for v in votes)


def _rounds(details: TicketDetails) -> str:
    closed = "".join(
        f"<tr><td class='num'>{r.number}</td><td>{_e(r.approver_email)}"
        f"<div class='muted'>{_e(_when(r.requested_at))}</div></td>"
        f"<td>{_e(r.decision.outcome)}</td><td>{_e(r.decision.decided_by)}<div class='muted'>"
        f"{_e(_when(r.decision.decided_at))}</div></td>"
        f"<td>{_e('; '.join(f'{k} {", ".join(v)}' for k, v in r.decision.changes.model_dump().items() if v))}</td>"
        f"<td>{_e(r.decision.comment or r.decision.feedback or r.decision.reason)}</td>"
        f"<td>{_e(_votes(r.decision.votes))}</td></tr>"
        for r in details.rounds
    )
    approval = details.view.get("approval")
    open_round = ""
    if approval and details.view.get("state") == "AWAITING_APPROVAL":
        votes = "; ".join(f"{v['approver']} {v['outcome']} at {_when(v['decided_at'])}" for v in approval["votes"])
        open_round = (
            f"<div class='facts' id='open-round'><div><dt>Open round</dt><dd>{_e(approval['round'])}</dd></div>"
            f"<div><dt>Asked</dt><dd>{_e(', '.join(approval['approvers']) or approval['approver_email'])}</dd></div>"
            f"<div><dt>Rule</dt><dd>{_e(approval['rule'] or '-')} ({_e(approval['group'] or '-')})</dd></div>"
            f"<div><dt>Approvals needed</dt><dd>{_e(approval['approvals_needed'])}</dd></div>"
            f"<div><dt>Votes</dt><dd>{_e(votes or 'none yet')}</dd></div>"
            f"<div><dt>Link expires</dt><dd>{_e(_when(approval['link_expires_at']))}</dd></div></div>"
        )
    decision = details.view.get("decision")
    decided = ""
    if decision and not details.rounds:
        decided = f"<p id='decision'>Decided: {_e(decision['outcome'])} by {_e(decision['decided_by'])}</p>"
    if not (closed or open_round or decided):
        return ""
    table = (
        "<table id='rounds'><thead><tr><th>Round</th><th>Asked (first)</th><th>Outcome</th><th>Decided by</th>"
        "<th>Changes</th><th>Comment, feedback or reason</th><th>Votes</th></tr></thead>"
        f"<tbody>{closed}</tbody></table>"
        if closed
        else ""
    )
    return f"<h2 id='approvals'>Approval rounds and votes</h2>{open_round}{decided}{table}"


def _emails(details: TicketDetails) -> str:
    rows = "".join(
        f"<tr><td>{_e(_when(m.sent_at))}</td><td>{_e(', '.join(m.to))}</td><td>{_e(m.kind)}</td>"
        f"<td><a href='/_local/mail/{quote(m.message_id, safe='')}'>{_e(m.subject)}</a></td></tr>"
        for m in details.emails
    )
    empty = "" if rows else "<tr><td colspan='4'>No email sent.</td></tr>"
    return (
        "<h2 id='emails'>Emails sent</h2><table id='email-list'><thead><tr><th>Sent</th><th>To</th><th>Kind</th>"
        f"<th>Subject</th></tr></thead><tbody>{rows}{empty}</tbody></table>"
    )


def activity_section(section_id: str, title: str, items: Sequence[Mapping[str, Any]]) -> str:
    """A list of records the stack keeps for the ticket (events, webhook deliveries): nothing when there are none."""
    if not items:
        return ""
    columns: list[str] = []
    for item in items:
        columns.extend(k for k in item if k not in columns)
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(_cell(item.get(c, '')))}</td>" for c in columns) + "</tr>" for item in items
    )
    return (
        f"<h2 id='{_e(section_id)}'>{_e(title)}</h2>"
        f"<table class='activity'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def events_and_webhooks(details: TicketDetails) -> str:
    """The hook for lifecycle events and webhook deliveries: drawn only when the stack records them."""
    return activity_section("events", "Events", details.events) + activity_section(
        "webhooks", "Webhook deliveries", details.webhooks
    )


_LEGEND = (
    "<div class='legend'><span style='--c:#fff'>not entered</span><span style='--c:#e3f4ea'>entered</span>"
    "<span style='--c:#0b7a3e'>current (ended here)</span><span style='--c:#2457c5'>current (in progress)</span>"
    "<span style='--c:#fde8e7'>failed</span></div>"
)


def ticket_page(details: TicketDetails, graph_svg: str, *, refresh_seconds: int | None = None) -> str:
    view = details.view
    ticket_id = str(view["ticket_id"])
    analysis = view.get("analysis") or {}
    current = details.lit.current or "-"
    links = [
        f"<a href='/tickets/{quote(ticket_id, safe='')}' id='ticket-json'>ticket JSON</a>",
        f"<a href='{_href('tickets', ticket_id + '.json')}'>console JSON</a>",
    ]
    if view.get("state") == "AWAITING_APPROVAL":
        approval = _href("tickets", ticket_id, "approval")
        links.append(f"<a href='{approval}' id='approval-view'>approval page (read-only)</a>")
    refresh = (
        f"<a href='{_href('tickets', ticket_id)}'>stop refreshing</a>"
        if refresh_seconds
        else f"<a href='{_href('tickets', ticket_id, query={'refresh': '5'})}'>refresh every 5 s</a>"
    )
    links.append(refresh)
    return page(
        f"Ticket {ticket_id}",
        f"<h1>Ticket {_e(ticket_id)} {_state(str(view['state']))}</h1>"
        f"<p class='muted'>{' · '.join(links)}</p>"
        "<dl class='facts'>"
        f"<div><dt>Customer</dt><dd>{_e(view['customer_id'])}</dd></div>"
        f"<div><dt>Submitted</dt><dd>{_e(_when(view['submitted_at']))}</dd></div>"
        f"<div><dt>Category</dt><dd>{_e(analysis.get('category', '-'))}</dd></div>"
        f"<div><dt>Severity</dt><dd>{_e(analysis.get('severity', '-'))}</dd></div>"
        f"<div><dt>Current step</dt><dd id='current-step'>{_e(current)}</dd></div>"
        f"<div><dt>Executions</dt><dd>{len(details.executions)}</dd></div></dl>"
        f"<p><strong>{_e(view.get('subject') or analysis.get('summary', ''))}</strong></p>"
        f"<div class='description'>{_e(view.get('description', ''))}</div>"
        "<div class='two'><section><h2 id='graph'>State machine</h2>"
        "<p class='muted'>Drawn from the synthesized definition; the path this ticket's executions took is lit "
        "(resumed executions included), and the state the newest one is in, or ended in, is filled.</p>"
        f"{_LEGEND}<div class='graph'>{graph_svg}</div></section>"
        f"<section>{_executions(details)}</section></div>"
        f"{_checkpoints(details)}{_rounds(details)}{_emails(details)}{events_and_webhooks(details)}",
        refresh_seconds=refresh_seconds,
    )


def message_page(title: str, message: str) -> str:
    return page(title, f"<h1>{_e(title)}</h1><p>{_e(message)}</p><p><a href='{CONSOLE}'>All tickets</a></p>")
