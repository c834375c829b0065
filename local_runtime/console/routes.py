"""The console's routes under `/_local/console`, answered for the local HTTP server (GET only).

| route | answers |
| --- | --- |
| `/_local/console[?state=S]` | the ticket list (HTML), newest first, refreshing itself |
| `/_local/console/tickets.json[?state=S]` | the same list as JSON (`supportflow tickets` reads it) |
| `/_local/console/tickets/{id}[?refresh=N]` | the ticket's page |
| `/_local/console/tickets/{id}.json` | what the page shows, as JSON (`supportflow show` reads it) |
| `/_local/console/tickets/{id}/approval` | the open round's approval page, read-only |
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ticketing.ports import Services

from ..http_api import ApiInvoker, SentMail
from . import pages
from .data import ConsoleData, StackSource, TicketDetails, TicketNotFoundError
from .graph import layout, svg

Response = tuple[int, dict[str, str], bytes]
# Nothing loads from anywhere: styles are inline, the picture is inline SVG, the icon a data URL.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
_HTML = {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP, "Cache-Control": "no-store"}
_JSON = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def _aws_services() -> Services:
    from ticketing.bootstrap import aws_services
    from ticketing.settings import Settings

    return aws_services(Settings.from_env())


class Console:
    """Answers `/_local/console…` from the running stack; reads nothing until asked."""

    def __init__(
        self,
        invoke_api: ApiInvoker,
        outbox: SentMail,
        stack: StackSource,
        services: Callable[[], Services] = _aws_services,
    ) -> None:
        self.data = ConsoleData(invoke_api, outbox, stack, cache(services))
        self._stack = stack

    def handles(self, path: str) -> bool:
        return path == pages.CONSOLE or path.startswith(pages.CONSOLE + "/")

    def respond(self, method: str, target: str) -> Response:
        if method not in ("GET", "HEAD"):
            return 405, {"Content-Type": "text/plain", "Allow": "GET, HEAD"}, b"GET only"
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        rest = path.removeprefix(pages.CONSOLE).strip("/")
        try:
            if rest == "":
                return self._list(query, as_json=False)
            if rest == "tickets.json":
                return self._list(query, as_json=True)
            segments = [unquote(s) for s in rest.split("/")]
            if len(segments) == 2 and segments[0] == "tickets" and segments[1].endswith(".json"):
                return self._ticket_json(segments[1].removesuffix(".json"))
            if len(segments) == 2 and segments[0] == "tickets":
                return self._ticket(segments[1], query)
            if len(segments) == 3 and segments[0] == "tickets" and segments[2] == "approval":
                return self._approval(segments[1])
        except TicketNotFoundError as missing:
            return self._not_found(f"No ticket {str(missing)[:80]!r}.", json_wanted=parts.path.endswith(".json"))
        return self._not_found("No such console page.", json_wanted=parts.path.endswith(".json"))

    def _state_filter(self, query: dict[str, str]) -> str | None:
        state = query.get("state", "").strip().upper()
        if state and state not in pages.STATES and not state.startswith("WORKFLOW_"):
            raise ValueError(f"unknown state {state[:40]!r}; one of {', '.join(pages.STATES)}")
        return state or None

    def _list(self, query: dict[str, str], *, as_json: bool) -> Response:
        try:
            state = self._state_filter(query)
        except ValueError as bad:
            body = {"error": "invalid_state", "message": f"Cannot filter by state: {bad}."}
            if as_json:
                return 400, _JSON, json.dumps(body).encode()
            return 400, _HTML, pages.message_page("Invalid filter", body["message"]).encode()
        rows = self.data.tickets(state)
        now = datetime.now(UTC)
        if as_json:
            return 200, _JSON, json.dumps({"tickets": [r.as_json(now) for r in rows]}, indent=2).encode()
        return 200, _HTML, pages.list_page(rows, now, state).encode()

    def _ticket(self, ticket_id: str, query: dict[str, str]) -> Response:
        details = self.data.details(ticket_id)
        refresh = query.get("refresh", "")
        seconds = int(refresh) if refresh.isdigit() and 1 <= int(refresh) <= 3600 else None
        graph = svg(layout(self._stack.definition), details.lit, title=f"State machine of ticket {ticket_id}")
        return 200, _HTML, pages.ticket_page(details, graph, refresh_seconds=seconds).encode()

    def _ticket_json(self, ticket_id: str) -> Response:
        return 200, _JSON, json.dumps(details_json(self.data.details(ticket_id)), indent=2, default=str).encode()

    def _approval(self, ticket_id: str) -> Response:
        review = self.data.approval_review(ticket_id)
        if review is None:
            message = f"Ticket {ticket_id} is not waiting for an approval, so no approval page is open."
            return 404, _HTML, pages.message_page("No open approval", message).encode()
        from ticketing.api.pages import approval_page  # the API's own page, loaded when first asked for

        html = approval_page(review, action_url="", read_only=True)
        # The page is the API's own; on top of its disabled controls, the browser may post nowhere.
        headers = {**_HTML, "Content-Security-Policy": CSP.replace("form-action 'self'", "form-action 'none'")}
        return 200, headers, html.encode()

    def _not_found(self, message: str, *, json_wanted: bool) -> Response:
        if json_wanted:
            return 404, _JSON, json.dumps({"error": "not_found", "message": message}).encode()
        return 404, _HTML, pages.message_page("Not found", message).encode()


def details_json(details: TicketDetails) -> dict[str, Any]:
    """A ticket's console data as JSON: the API's view, then what only an operator sees."""
    return {
        "ticket": details.view,
        "current_state": details.lit.current,
        "executions": [e.model_dump(mode="json") for e in details.executions],
        "checkpoints": [
            {
                "sequence": c.checkpoint.sequence,
                "state": c.checkpoint.state.value,
                "created_at": c.checkpoint.created_at.isoformat(),
                "step_key": c.checkpoint.step_key,
                "execution": c.execution,
                "written_by": c.written_by,
                "data": c.data,
            }
            for c in details.checkpoints
        ],
        "emails": [
            {"message_id": m.message_id, "to": m.to, "subject": m.subject, "kind": m.kind, "sent_at": m.sent_at}
            for m in details.emails
        ],
        "events": list(details.events),
        "webhook_deliveries": list(details.webhooks),
    }
