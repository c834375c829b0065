"""The HTTP API: ticket submission and status, and the approval pages.

The same resolver serves API Gateway in Lambda and the local HTTP server. Domain
errors become `{"error": <code>, "message": <sentence>}` (or an HTML page for a
browser on the approval routes) in one place: `_domain_error`.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from pydantic import BaseModel, ValidationError

from ..domain.conversation import CustomerMessage
from ..domain.errors import InvalidRequest, PayloadTooLarge, SupportflowError, UnsupportedMediaType
from ..domain.models import MAX_COMMENT_CHARS, TicketRequest
from ..logic import approvals, conversation, resume, tickets
from ..observability import count
from ..wiring import Services, services
from . import pages

MAX_BODY_BYTES = 64 * 1024
_HTML = "text/html; charset=utf-8"
_JSON = "application/json"

app = APIGatewayRestResolver()
log = logging.getLogger(__name__)


class TicketAccepted(BaseModel):
    ticket_id: str
    state: str
    submitted_at: datetime
    links: dict[str, str]


# Ticket data and approval tokens must not be cached, framed, sniffed or leaked by Referer.
_SAFE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_PAGE_HEADERS = {
    **_SAFE_HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
}


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[str]:
    text = body.model_dump_json() if isinstance(body, BaseModel) else json.dumps(body, default=str)
    return Response(status_code=status, content_type=_JSON, body=text, headers={**_SAFE_HEADERS, **(headers or {})})


def _html(status: int, body: str) -> Response[str]:
    return Response(status_code=status, content_type=_HTML, body=body, headers=_PAGE_HEADERS)


def _header(name: str) -> str:
    return app.current_event.headers.get(name) or ""


def _wants_html() -> bool:
    """Approval routes answer browsers with pages and API clients with JSON."""
    accept = _header("accept")
    if _JSON in accept and "text/html" not in accept:
        return False
    return "text/html" in accept or _header("content-type").startswith("application/x-www-form-urlencoded")


def _raw_body() -> str:
    body = app.current_event.decoded_body or ""
    if len(body.encode()) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB.")
    return body


def _json_body() -> dict[str, Any]:
    content_type = _header("content-type").split(";")[0].strip().lower()
    if content_type and content_type != _JSON:
        raise UnsupportedMediaType("Send the ticket as JSON with the header 'Content-Type: application/json'.")
    try:
        body = json.loads(_raw_body() or "null")
    except (ValueError, RecursionError):
        raise InvalidRequest("The request body is not valid JSON.", code="malformed_json") from None
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.", code="malformed_json")
    return body


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "body"
    if first["type"] == "missing":
        return f"The field '{field}' is required."
    if first["type"] == "extra_forbidden":
        return f"The field '{field}' is not accepted."
    return f"The field '{field}' is invalid: {first['msg']}."


def _base_url(svc: Services) -> str:
    return svc.settings.base_url


@app.post("/tickets")
def submit_ticket() -> Response[str]:
    svc = services()
    try:
        request = TicketRequest.model_validate(_json_body())
    except ValidationError as error:
        raise InvalidRequest(_describe(error), code="invalid_ticket") from None
    ticket = tickets.submit_ticket(svc, request)
    count("TicketsSubmitted")
    url = f"{_base_url(svc)}/tickets/{ticket.ticket_id}"
    accepted = TicketAccepted(
        ticket_id=ticket.ticket_id, state="RECEIVED", submitted_at=ticket.submitted_at, links={"self": url}
    )
    return _json(202, accepted, {"Location": url})


@app.get("/tickets/<ticket_id>")
def get_ticket(ticket_id: str) -> Response[str]:
    return _json(200, tickets.ticket_view(services(), ticket_id))


@app.post("/tickets/<ticket_id>/messages")
def post_message(ticket_id: str) -> Response[str]:
    try:
        message = CustomerMessage.model_validate(_json_body())
    except ValidationError as error:
        raise InvalidRequest(_describe(error), code="invalid_message") from None
    return _json(200, conversation.post_message(services(), ticket_id, message))


@app.get("/tickets/<ticket_id>/conversation")
def get_conversation(ticket_id: str) -> Response[str]:
    return _json(200, conversation.conversation(services(), ticket_id))


@app.post("/tickets/<ticket_id>/resume")
def resume_ticket(ticket_id: str) -> Response[str]:
    svc = services()
    started = resume.resume_ticket(svc, ticket_id)
    count("TicketsResumed")
    url = f"{_base_url(svc)}/tickets/{started.ticket_id}"
    body = {**started.model_dump(mode="json"), "state": "RESUMING", "links": {"self": url}}
    return _json(202, body, {"Location": url})


@app.get("/approvals/<ticket_id>")
def review_approval(ticket_id: str) -> Response[str]:
    svc = services()
    token = _single_query_value("token")
    review = approvals.review(svc, ticket_id, token)
    if not _wants_html() and _JSON in _header("accept"):
        return _json(
            200, {"ticket_id": ticket_id, "state": review.checkpoint.state, "plan": review.checkpoint.data.plan}
        )
    # Relative to /…/approvals/{ticket_id}: posts back to this route whatever the host or stage.
    return _html(200, pages.approval_page(review, action_url=ticket_id))


_OUTCOMES: dict[str, Literal["approved", "rejected"]] = {"approve": "approved", "reject": "rejected"}


@app.post("/approvals/<ticket_id>")
def decide_approval(ticket_id: str) -> Response[str]:
    svc = services()
    form = _decision_form()
    outcome = _OUTCOMES.get(form.get("decision", ""))
    if outcome is None:
        raise InvalidRequest("Say 'approve' or 'reject' in the field 'decision'.", code="invalid_decision")
    comment = form.get("comment", "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidRequest(f"The comment is longer than {MAX_COMMENT_CHARS} characters.", code="invalid_comment")
    decision = approvals.decide(svc, ticket_id, form.get("token", ""), outcome, comment)
    count("TicketsApproved" if outcome == "approved" else "TicketsRejected")
    ticket_url = f"{_base_url(svc)}/tickets/{ticket_id}"
    if _wants_html():
        return _html(200, pages.decision_page(ticket_id, decision, ticket_url))
    return _json(
        200, {"ticket_id": ticket_id, "decision": decision.model_dump(mode="json"), "links": {"ticket": ticket_url}}
    )


def _single_query_value(name: str) -> str:
    values = (app.current_event.multi_value_query_string_parameters or {}).get(name) or []
    if not values:
        single = (app.current_event.query_string_parameters or {}).get(name)
        values = [single] if single else []
    if len(values) != 1 or not values[0]:
        raise InvalidRequest(f"The link needs exactly one '{name}' parameter. Use the link from the email unchanged.")
    return values[0]


def _decision_form() -> dict[str, str]:
    content_type = _header("content-type").split(";")[0].strip().lower()
    raw = _raw_body()
    if content_type == "application/x-www-form-urlencoded":
        fields = parse_qs(raw, keep_blank_values=True)
        if any(len(v) != 1 for v in fields.values()):
            raise InvalidRequest("Each form field may appear once.")
        return {k: v[0] for k, v in fields.items()}
    if content_type == _JSON:
        try:
            body = json.loads(raw or "null")
        except (ValueError, RecursionError):
            raise InvalidRequest("The request body is not valid JSON.", code="malformed_json") from None
        if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
            raise InvalidRequest("Send a JSON object of strings: token, decision, comment.", code="malformed_json")
        return body
    raise UnsupportedMediaType("Send the decision as a form or as JSON.")


@app.exception_handler(SupportflowError)  # type: ignore[untyped-decorator]
def _domain_error(error: SupportflowError) -> Response[str]:
    path = app.current_event.path or ""
    if path.startswith("/approvals/") and _wants_html():
        return _html(error.status, pages.error_page(error.status, error.code, error.message))
    return _json(error.status, {"error": error.code, "message": error.message})


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def _unexpected_error(error: Exception) -> Response[str]:
    log.exception("unhandled error in %s %s", app.current_event.http_method, app.current_event.path)
    return _json(500, {"error": "internal_error", "message": "Something went wrong on our side; nothing was changed."})


@app.not_found
def _not_found(_: Exception) -> Response[str]:
    return _json(404, {"error": "not_found", "message": "There is no such route. See the README for the API."})
