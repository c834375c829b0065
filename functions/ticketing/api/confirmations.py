"""Routes of the customer's confirmation link: GET shows the question and decides nothing; POST answers once."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ..domain.models import ConfirmationOutcome
from ..logic import confirmation
from ..observability import count
from . import confirmation_pages, http
from .contract import ConfirmationBody, ConfirmationRecorded, PendingConfirmation
from .errors import RequestError
from .openapi import PARAMETERS, body_doc, error_doc
from .paths import TicketId

router = APIGatewayRouter()  # type: ignore[no-untyped-call]

_CONFIRMATION_ERRORS: dict[int, OpenAPIResponse] = {
    400: error_doc("The link or the form is malformed (no token, or an answer other than yes or no).", html=True),
    403: error_doc("The link is forged, altered, truncated, or issued for another ticket or purpose.", html=True),
    404: error_doc("No such ticket.", html=True),
    409: error_doc("The question was already answered; nothing was changed.", html=True),
    410: error_doc("The link expired, the question closed without an answer, or a newer one replaced it.", html=True),
}
_OUTCOMES: dict[str, ConfirmationOutcome] = {"yes": "resolved", "no": "reopened"}


@router.get(
    "/confirmations/<ticket_id>",
    summary="Show the customer's 'Is your issue resolved?' question",
    description="The page the confirmation email links to. It decides nothing: mail scanners fetch links "
    "before people click them. HTML for browsers, JSON with `Accept: application/json`.",
    responses={
        200: {
            "description": "The steps that ran, with 'Yes, it works' and 'No, it still happens'.",
            "content": {http.HTML: {"schema": {"type": "string"}}, http.JSON: {"model": PendingConfirmation}},
        },
        **_CONFIRMATION_ERRORS,
    },
    openapi_extensions={
        PARAMETERS: [
            {
                "name": "token",
                "in": "query",
                "required": True,
                "description": "The signed token from the confirmation email, unchanged; exactly once.",
                "schema": {"type": "string"},
            }
        ]
    },
)
def review_confirmation(ticket_id: TicketId) -> Response[str]:
    event = router.current_event
    token = http.single_query_value(event, "token")
    review = confirmation.review(http.current_services(), ticket_id, token)
    if not http.wants_html(event) and http.JSON in http.header(event, "accept"):
        pending = PendingConfirmation(
            ticket_id=ticket_id,
            state=review.checkpoint.state,
            question=review.number,
            plan=review.plan,
            step_results=review.checkpoint.data.step_results,
            expires_at=review.expires_at,
        )
        return http.json_response(200, pending)
    # Relative to /…/confirmations/{ticket_id}: posts back to this route whatever the host or stage.
    return http.html_response(200, confirmation_pages.confirmation_page(review, action_url=ticket_id))


@router.post(
    "/confirmations/<ticket_id>",
    summary="Answer 'Is your issue resolved?'",
    description="Answers once: the first answer wins, any later one is 409 and changes nothing. 'no' reopens "
    "the ticket with the comment. HTML for the page's form, JSON for API clients.",
    responses={
        200: {
            "description": "The answer was accepted; the workflow closes or reopens the ticket.",
            "content": {http.HTML: {"schema": {"type": "string"}}, http.JSON: {"model": ConfirmationRecorded}},
        },
        **_CONFIRMATION_ERRORS,
        413: error_doc("The body is larger than 64 KiB.", html=True),
        415: error_doc("The answer is neither a form nor JSON.", html=True),
    },
    openapi_extensions={"requestBody": body_doc(ConfirmationBody, http.FORM, http.JSON)},
)
def answer_confirmation(ticket_id: TicketId) -> Response[str]:
    services = http.current_services()
    event = router.current_event
    fields = http.form_or_json(event, "token, answer, comment")
    if fields.get("answer") not in _OUTCOMES:
        raise RequestError("Say 'yes' or 'no' in the field 'answer'.", code="invalid_answer")
    if not fields.get("token"):
        raise RequestError("The form needs the 'token' from the link. Use the link from the email.")
    body = http.parsed(ConfirmationBody, fields, "invalid_answer")
    given = confirmation.answer(services, ticket_id, body.token, _OUTCOMES[body.answer], body.comment)
    count("TicketsConfirmed" if given.outcome == "resolved" else "TicketsReopenedByCustomer")
    ticket_url = f"{services.settings.base_url}/tickets/{ticket_id}"
    if http.wants_html(event):
        return http.html_response(200, confirmation_pages.answered_page(ticket_id, given, ticket_url))
    return http.json_response(
        200, ConfirmationRecorded(ticket_id=ticket_id, answer=given, links={"ticket": ticket_url})
    )
