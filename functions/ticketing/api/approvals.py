"""Routes of the approver's link: GET shows the plan and decides nothing; POST decides once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import ValidationError

from ..domain.models import MAX_COMMENT_CHARS
from ..domain.review import ReviewRequest
from ..logic import approvals
from ..observability import count
from . import http, pages
from .contract import DecisionBody, DecisionRecorded, PendingApproval
from .errors import RequestError
from .openapi import PARAMETERS, body_doc, error_doc
from .paths import TicketId

router = APIGatewayRouter()  # type: ignore[no-untyped-call]


_APPROVAL_ERRORS: dict[int, OpenAPIResponse] = {
    400: error_doc("The link or the form is malformed (for example, no token or two).", html=True),
    403: error_doc("The link is forged, altered, truncated, or issued for another ticket.", html=True),
    404: error_doc("No such ticket.", html=True),
    409: error_doc("The ticket was already decided; nothing was changed.", html=True),
    410: error_doc("The link or the approval request expired, or a newer request replaced it.", html=True),
}


@router.get(
    "/approvals/<ticket_id>",
    summary="Review a proposed resolution",
    description="The confirmation page an approval email links to. It decides nothing: mail scanners "
    "fetch links before people click them. HTML for browsers, JSON with `Accept: application/json`.",
    responses={
        200: {
            "description": "The plan awaiting a decision, with Approve and Reject buttons.",
            "content": {http.HTML: {"schema": {"type": "string"}}, http.JSON: {"model": PendingApproval}},
        },
        **_APPROVAL_ERRORS,
    },
    openapi_extensions={
        PARAMETERS: [
            {
                "name": "token",
                "in": "query",
                "required": True,
                "description": "The signed token from the approval email, unchanged; exactly once.",
                "schema": {"type": "string"},
            },
            {
                "name": "order",
                "in": "query",
                "required": False,
                "description": "The page's own Move up / Move down links: the proposed steps' action ids in the "
                "order to show them, each exactly once (repeated `order` parameters). Absent: as proposed. "
                "Only changes how the page lists the steps; it decides nothing.",
                "schema": {"type": "array", "items": {"type": "string"}},
                "style": "form",
                "explode": True,
            },
        ]
    },
)
def review_approval(ticket_id: TicketId) -> Response[str]:
    event = router.current_event
    token = http.single_query_value(event, "token")
    review = approvals.review(http.current_services(), ticket_id, token)
    order = _display_order(review, _query_values(event, "order"))
    if not http.wants_html(event) and http.JSON in http.header(event, "accept"):
        checkpoint = review.checkpoint
        pending = PendingApproval(
            ticket_id=ticket_id,
            state=checkpoint.state,
            plan=checkpoint.data.plan,
            round=review.round_number,
            max_rounds=review.max_rounds,
            decisions=["approve", "reject", "revise"] if review.can_revise else ["approve", "reject"],
            addable=[step.action_id for step in review.addable],
        )
        return http.json_response(200, pending)
    # Relative to /…/approvals/{ticket_id}: posts back to this route whatever the host or stage.
    return http.html_response(200, pages.approval_page(review, action_url=ticket_id, order=order))


def _query_values(event: APIGatewayProxyEvent, name: str) -> list[str]:
    values = (event.multi_value_query_string_parameters or {}).get(name)
    if values is None:
        single = (event.query_string_parameters or {}).get(name)
        values = [single] if single is not None else []
    return list(values)


def _display_order(review: approvals.ApprovalReview, order: list[str]) -> list[str]:
    """The proposed steps in the order the page's move links asked for; anything but a permutation is refused."""
    plan = review.checkpoint.data.plan
    assert plan is not None, "an AWAITING_APPROVAL checkpoint holds its plan"
    if not order:
        return plan.action_ids
    if sorted(order) != sorted(plan.action_ids):
        raise RequestError(
            "The 'order' parameters must name each proposed step exactly once. "
            "Use the link from the email, or the page's own move links."
        )
    return order


@router.post(
    "/approvals/<ticket_id>",
    summary="Approve or reject a proposed resolution",
    description="Decides once: the first decision for a ticket wins, any later one is 409 and changes "
    "nothing. HTML for the page's form, JSON for API clients.",
    responses={
        200: {
            "description": "The decision was accepted; the workflow resumes.",
            "content": {http.HTML: {"schema": {"type": "string"}}, http.JSON: {"model": DecisionRecorded}},
        },
        **_APPROVAL_ERRORS,
        413: error_doc("The body is larger than 64 KiB.", html=True),
        415: error_doc("The decision is neither a form nor JSON.", html=True),
    },
    openapi_extensions={"requestBody": body_doc(DecisionBody, http.FORM, http.JSON)},
)
def decide_approval(ticket_id: TicketId) -> Response[str]:
    services = http.current_services()
    event = router.current_event
    fields = http.form_or_json(event, "token, decision, steps, notes, comment, reason, feedback, notify_customer")
    request = _review_request(fields)
    token = fields.get("token", "")
    outcome = approvals.decide(services, ticket_id, token, request)
    ticket_url = f"{services.settings.base_url}/tickets/{ticket_id}"
    decision = outcome.decision
    if decision is not None:
        count(_METRICS[decision.outcome])
    if http.wants_html(event):
        if decision is None:
            assert outcome.vote is not None
            page = pages.vote_page(ticket_id, outcome.vote, outcome.approvals, outcome.needed, ticket_url)
        else:
            page = pages.decision_page(ticket_id, decision, ticket_url, services.settings.max_approval_rounds)
        return http.html_response(200, page)
    recorded = DecisionRecorded(
        ticket_id=ticket_id,
        decision=decision,
        vote=outcome.vote,
        approvals=outcome.approvals,
        approvals_needed=outcome.needed,
        links={"ticket": ticket_url},
    )
    return http.json_response(200, recorded)


_METRICS = {"approved": "TicketsApproved", "rejected": "TicketsRejected", "changes_requested": "TicketsSentBack"}


def _review_request(fields: dict[str, Any]) -> ReviewRequest:
    """The decision as the contract states it; a malformed one is refused before anything is read."""
    if fields.get("decision") not in ("approve", "reject", "revise"):
        raise RequestError("Say 'approve', 'reject' or 'revise' in the field 'decision'.", code="invalid_decision")
    if not fields.get("token"):
        raise RequestError("The form needs the 'token' from the approval link. Use the link from the email.")
    for text in ("comment", "reason", "feedback"):
        if len(str(fields.get(text, "")).strip()) > MAX_COMMENT_CHARS:
            code = "invalid_comment" if text == "comment" else "invalid_decision"
            raise RequestError(f"The {text} is longer than {MAX_COMMENT_CHARS} characters.", code=code)
    try:
        return DecisionBody.model_validate(fields).review_request()
    except ValidationError as error:
        raise RequestError(http.validation_message(error), code="invalid_decision") from None
    except ValueError as missing:
        raise RequestError(str(missing), code="invalid_decision") from None
