"""The HTTP API: ticket submission and status, and the approval pages.

The same resolver serves API Gateway in Lambda and the local HTTP server. Domain
errors become `{"error": <code>, "message": <sentence>}` (or an HTML page for a
browser on the approval routes) in one place: `_domain_error`.
"""

from __future__ import annotations

import binascii
import functools
import json
import logging
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, Field, ValidationError

from ..domain.conversation import CustomerMessage
from ..domain.errors import InvalidRequest, PayloadTooLarge, SupportflowError, UnsupportedMediaType
from ..domain.models import MAX_COMMENT_CHARS, TICKET_ID_PATTERN, Decision, ResolutionPlan, TicketRequest
from ..logic import approvals, conversation, resume, tickets
from ..observability import count
from ..wiring import Services, services
from . import pages

MAX_BODY_BYTES = 64 * 1024
_HTML = "text/html; charset=utf-8"
_HTML_TYPE = "text/html"
_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"

app = APIGatewayRestResolver()
log = logging.getLogger(__name__)


class TicketAccepted(BaseModel):
    ticket_id: str
    state: str
    submitted_at: datetime
    links: dict[str, str]


class ErrorBody(BaseModel):
    """Every refusal: a stable code and a sentence that says what to do."""

    error: str
    message: str


class PendingApproval(BaseModel):
    """The confirmation page's content, for API clients (`Accept: application/json`)."""

    ticket_id: str
    state: str
    plan: ResolutionPlan | None


class DecisionRecorded(BaseModel):
    ticket_id: str
    decision: Decision
    links: dict[str, str]


class DecisionForm(BaseModel):
    """What the approval page posts (as a form, or as JSON)."""

    token: str = Field(description="The token from the approval link, unchanged.")
    decision: Literal["approve", "reject"]
    comment: Annotated[str, Field(max_length=MAX_COMMENT_CHARS)] = ""


def _error_doc(description: str, *, html: bool = False) -> OpenAPIResponse:
    content: dict[str, Any] = {_JSON: {"model": ErrorBody}}
    if html:
        content[_HTML_TYPE] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


def _body_doc(model: type[BaseModel], *media_types: str) -> dict[str, Any]:
    """An OpenAPI requestBody from the pydantic model the route parses."""
    schema = model.model_json_schema()
    return {"required": True, "content": {media: {"schema": schema} for media in media_types}}


# Query and header parameters the routes read themselves; `openapi_document` adds them to
# the path parameters that Powertools derives from each route's signature.
_PARAMETERS = "x-supportflow-parameters"


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
    try:
        body = app.current_event.decoded_body or ""
    except (UnicodeDecodeError, binascii.Error):  # API Gateway base64-encodes bodies that are not text
        raise InvalidRequest("The request body is not UTF-8 text.", code="malformed_body") from None
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


_IDEMPOTENCY_KEY = "Idempotency-Key"


@app.post(
    "/tickets",
    summary="Submit a ticket",
    description=(
        "Creates a ticket and starts its workflow: analysis, a proposed plan, and an approval request "
        "emailed to the approver. With an `Idempotency-Key` header, a retry of the same request returns "
        "the same ticket and starts nothing new; the key is scoped to the `customer_id` and remembered "
        "for at least a day. Invalid input starts nothing."
    ),
    responses={
        202: {
            "description": "The ticket was accepted (or, for a retried Idempotency-Key, found) and its workflow runs.",
            "content": {_JSON: {"model": TicketAccepted}},
        },
        400: _error_doc("The body is not a valid ticket, or the Idempotency-Key header is malformed."),
        409: _error_doc("The Idempotency-Key was already used for a different request."),
        413: _error_doc("The body is larger than 64 KiB."),
        415: _error_doc("The body is not sent as application/json."),
        503: _error_doc("The workflow could not be started; nothing was created. Retry later."),
    },
    openapi_extensions={
        "requestBody": _body_doc(TicketRequest, _JSON),
        _PARAMETERS: [
            {
                "name": _IDEMPOTENCY_KEY,
                "in": "header",
                "required": False,
                "description": "Any unique string of 1-255 printable ASCII characters, chosen by the client "
                "per ticket; send the same value when retrying the same request.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]*[!-~][ -~]*$"},
            }
        ],
    },
)
def submit_ticket() -> Response[str]:
    svc = services()
    try:
        request = TicketRequest.model_validate(_json_body())
    except ValidationError as error:
        raise InvalidRequest(_describe(error), code="invalid_ticket") from None
    key = _idempotency_key()
    if key is None:
        ticket, replayed = tickets.submit_ticket(svc, request), False
    else:
        submission = tickets.submit_ticket_once(svc, request, key)
        ticket, replayed = submission.ticket, submission.replayed
    if not replayed:  # a retry of the same submission is not a new ticket
        count("TicketsSubmitted")
    url = f"{_base_url(svc)}/tickets/{ticket.ticket_id}"
    accepted = TicketAccepted(
        ticket_id=ticket.ticket_id, state="RECEIVED", submitted_at=ticket.submitted_at, links={"self": url}
    )
    headers = {"Location": url, **({"Idempotent-Replayed": "true"} if replayed else {})}
    return _json(202, accepted, headers)


def _idempotency_key() -> str | None:
    """The client's Idempotency-Key: at most one, 1-255 printable ASCII characters."""
    headers = app.current_event.multi_value_headers or {}
    values = [v for name, found in headers.items() if name.lower() == _IDEMPOTENCY_KEY.lower() for v in found]
    if not values and _IDEMPOTENCY_KEY.lower() in {name.lower() for name in app.current_event.headers}:
        values = [_header(_IDEMPOTENCY_KEY.lower())]
    if not values:
        return None
    key = values[0].strip()
    if len(values) != 1 or not 1 <= len(key) <= 255 or not all(" " <= c <= "~" for c in key):
        raise InvalidRequest(
            "Send one Idempotency-Key header of 1-255 printable ASCII characters, or none.",
            code="invalid_idempotency_key",
        )
    return key


_TICKET_ID_DOC = "A ticket id as returned by POST /tickets (tkt-YYYYMMDD- and 12 hex digits); anything else is 404."
# Documents the path parameter; the route itself refuses other ids with 404 (Powertools validation is off).
TicketId = Annotated[str, Path(pattern=TICKET_ID_PATTERN, description=_TICKET_ID_DOC)]


@app.get(
    "/tickets/<ticket_id>",
    summary="Read a ticket",
    description="The ticket's state, analysis, plan, decision, step results and checkpoint trail.",
    responses={
        200: {"description": "The ticket as it stands.", "content": {_JSON: {"model": tickets.TicketView}}},
        404: _error_doc("No such ticket."),
    },
)
def get_ticket(ticket_id: TicketId) -> Response[str]:
    return _json(200, tickets.ticket_view(services(), ticket_id))


class ResumeAccepted(resume.ResumeStarted):
    state: Literal["RESUMING"] = "RESUMING"
    links: dict[str, str]


@app.post(
    "/tickets/<ticket_id>/messages",
    summary="Ask about a ticket",
    description=(
        "Stores the customer's message and the assistant's reply as conversation turns in the ticket's "
        "memory session. The reply is built from the last turns and the latest checkpoint: the issue, where "
        "the workflow stands and what happens next, in every state."
    ),
    responses={
        200: {"description": "The assistant's reply.", "content": {_JSON: {"model": conversation.ReplyView}}},
        400: _error_doc("The body is not a valid message; nothing was stored."),
        404: _error_doc("No such ticket."),
        413: _error_doc("The body is larger than 64 KiB."),
        415: _error_doc("The body is not sent as application/json."),
    },
    openapi_extensions={"requestBody": _body_doc(CustomerMessage, _JSON)},
)
def post_message(ticket_id: TicketId) -> Response[str]:
    try:
        message = CustomerMessage.model_validate(_json_body())
    except ValidationError as error:
        raise InvalidRequest(_describe(error), code="invalid_message") from None
    return _json(200, conversation.post_message(services(), ticket_id, message))


@app.get(
    "/tickets/<ticket_id>/conversation",
    summary="Read a ticket's conversation",
    description="Every customer message and assistant reply on the ticket, oldest first.",
    responses={
        200: {"description": "The turns in order.", "content": {_JSON: {"model": conversation.ConversationView}}},
        404: _error_doc("No such ticket."),
    },
)
def get_conversation(ticket_id: TicketId) -> Response[str]:
    return _json(200, conversation.conversation(services(), ticket_id))


@app.post(
    "/tickets/<ticket_id>/resume",
    summary="Resume a ticket from its latest checkpoint",
    description=(
        "Starts a new execution for an EXPIRED or FAILED ticket at the first step whose result the latest "
        "checkpoint lacks: a new approval request (old links stay dead), or the plan's steps without a "
        "recorded success. Nothing is analysed twice."
    ),
    responses={
        202: {"description": "The new execution runs.", "content": {_JSON: {"model": ResumeAccepted}}},
        404: _error_doc("No such ticket."),
        409: _error_doc("The ticket ended COMPLETED or REJECTED, or its workflow still runs."),
    },
)
def resume_ticket(ticket_id: TicketId) -> Response[str]:
    svc = services()
    started = resume.resume_ticket(svc, ticket_id)
    count("TicketsResumed")
    url = f"{_base_url(svc)}/tickets/{started.ticket_id}"
    accepted = ResumeAccepted(**started.model_dump(), links={"self": url})
    return _json(202, accepted, {"Location": url})


_APPROVAL_ERRORS: dict[int, OpenAPIResponse] = {
    400: _error_doc("The link or the form is malformed (for example, no token or two).", html=True),
    403: _error_doc("The link is forged, altered, truncated, or issued for another ticket.", html=True),
    404: _error_doc("No such ticket.", html=True),
    409: _error_doc("The ticket was already decided; nothing was changed.", html=True),
    410: _error_doc("The link or the approval request expired, or a newer request replaced it.", html=True),
}


@app.get(
    "/approvals/<ticket_id>",
    summary="Review a proposed resolution",
    description="The confirmation page an approval email links to. It decides nothing: mail scanners "
    "fetch links before people click them. HTML for browsers, JSON with `Accept: application/json`.",
    responses={
        200: {
            "description": "The plan awaiting a decision, with Approve and Reject buttons.",
            "content": {_HTML_TYPE: {"schema": {"type": "string"}}, _JSON: {"model": PendingApproval}},
        },
        **_APPROVAL_ERRORS,
    },
    openapi_extensions={
        _PARAMETERS: [
            {
                "name": "token",
                "in": "query",
                "required": True,
                "description": "The signed token from the approval email, unchanged; exactly once.",
                "schema": {"type": "string"},
            }
        ]
    },
)
def review_approval(ticket_id: TicketId) -> Response[str]:
    svc = services()
    token = _single_query_value("token")
    review = approvals.review(svc, ticket_id, token)
    if not _wants_html() and _JSON in _header("accept"):
        return _json(
            200, PendingApproval(ticket_id=ticket_id, state=review.checkpoint.state, plan=review.checkpoint.data.plan)
        )
    # Relative to /…/approvals/{ticket_id}: posts back to this route whatever the host or stage.
    return _html(200, pages.approval_page(review, action_url=ticket_id))


_OUTCOMES: dict[str, Literal["approved", "rejected"]] = {"approve": "approved", "reject": "rejected"}


@app.post(
    "/approvals/<ticket_id>",
    summary="Approve or reject a proposed resolution",
    description="Decides once: the first decision for a ticket wins, any later one is 409 and changes "
    "nothing. HTML for the page's form, JSON for API clients.",
    responses={
        200: {
            "description": "The decision was accepted; the workflow resumes.",
            "content": {_HTML_TYPE: {"schema": {"type": "string"}}, _JSON: {"model": DecisionRecorded}},
        },
        **_APPROVAL_ERRORS,
        413: _error_doc("The body is larger than 64 KiB.", html=True),
        415: _error_doc("The decision is neither a form nor JSON.", html=True),
    },
    openapi_extensions={"requestBody": _body_doc(DecisionForm, _FORM, _JSON)},
)
def decide_approval(ticket_id: TicketId) -> Response[str]:
    svc = services()
    form = _decision_form()
    outcome = _OUTCOMES.get(form.get("decision", ""))
    if outcome is None:
        raise InvalidRequest("Say 'approve' or 'reject' in the field 'decision'.", code="invalid_decision")
    comment = form.get("comment", "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidRequest(f"The comment is longer than {MAX_COMMENT_CHARS} characters.", code="invalid_comment")
    token = form.get("token", "")
    if not token:
        raise InvalidRequest("The form needs the 'token' from the approval link. Use the link from the email.")
    decision = approvals.decide(svc, ticket_id, token, outcome, comment)
    count("TicketsApproved" if outcome == "approved" else "TicketsRejected")
    ticket_url = f"{_base_url(svc)}/tickets/{ticket_id}"
    if _wants_html():
        return _html(200, pages.decision_page(ticket_id, decision, ticket_url))
    return _json(200, DecisionRecorded(ticket_id=ticket_id, decision=decision, links={"ticket": ticket_url}))


@app.get(
    "/openapi.json",
    summary="This API's OpenAPI description",
    description="Generated from the routes and their pydantic models; docs/openapi.json is a copy.",
    responses={200: {"description": "OpenAPI 3.1 document.", "content": {_JSON: {"schema": {"type": "object"}}}}},
)
def openapi_json() -> Response[str]:
    return _json(200, openapi_document())


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of every route above, as Powertools generates it from them."""
    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title="supportflow",
            version="1",
            description="Submit support tickets, follow them, and approve or reject their proposed resolution.",
        )
    )
    for path_item in document["paths"].values():
        for operation in path_item.values():
            declared = operation.pop(_PARAMETERS, [])
            if declared:
                operation["parameters"] = [*operation.get("parameters", []), *declared]
    return document


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
