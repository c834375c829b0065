"""Routes of a step-report link (a customer or engineer step): GET shows the step and decides nothing; POST
reports once. The same rules and error table as the confirmation routes."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ..logic import person_steps
from ..observability import count
from . import http, step_pages
from .contract import PendingStepReport, StepReportBody, StepReportRecorded
from .errors import RequestError
from .openapi import PARAMETERS, body_doc, error_doc
from .paths import TicketId

router = APIGatewayRouter()  # type: ignore[no-untyped-call]

_STEP_ERRORS: dict[int, OpenAPIResponse] = {
    400: error_doc("The link or the form is malformed (no token, or an outcome other than done or failed).", html=True),
    403: error_doc("The link is forged, altered, truncated, or issued for another ticket or purpose.", html=True),
    404: error_doc("No such ticket.", html=True),
    409: error_doc("The step was already reported on; nothing was changed.", html=True),
    410: error_doc("The link expired, or the step no longer waits for a report (timed out, moved on).", html=True),
}


@router.get(
    "/steps/<ticket_id>",
    summary="Show a customer or engineer step to carry out",
    description="The page a step email links to: the step's instructions with 'Done' and 'Didn't help' (the "
    "customer) or 'Done' and 'Failed' (the engineer). It decides nothing: mail scanners fetch links before "
    "people click them. HTML for browsers, JSON with `Accept: application/json`.",
    responses={
        200: {
            "description": "The step, and the outcomes it takes.",
            "content": {http.HTML: {"schema": {"type": "string"}}, http.JSON: {"model": PendingStepReport}},
        },
        **_STEP_ERRORS,
    },
    openapi_extensions={
        PARAMETERS: [
            {
                "name": "token",
                "in": "query",
                "required": True,
                "description": "The signed token from the step email, unchanged; exactly once.",
                "schema": {"type": "string"},
            }
        ]
    },
)
def review_step(ticket_id: TicketId) -> Response[str]:
    event = router.current_event
    token = http.single_query_value(event, "token")
    review = person_steps.review(http.current_services(), ticket_id, token)
    if not http.wants_html(event) and http.JSON in http.header(event, "accept"):
        pending = PendingStepReport(
            ticket_id=ticket_id,
            state=review.checkpoint.state,
            step=review.step,
            kind=review.request.kind,
            expires_at=review.request.link_expires_at,
        )
        return http.json_response(200, pending)
    # Relative to /…/steps/{ticket_id}: posts back to this route whatever the host or stage.
    return http.html_response(200, step_pages.step_page(review, action_url=ticket_id))


@router.post(
    "/steps/<ticket_id>",
    summary="Report on a customer or engineer step",
    description="Reports once: the first report wins, any later one is 409 and changes nothing. 'failed' "
    "('Didn't help') fails the step, and the ticket with it. HTML for the page's form, JSON for API clients.",
    responses={
        200: {
            "description": "The report was accepted; the workflow records it and goes on.",
            "content": {http.HTML: {"schema": {"type": "string"}}, http.JSON: {"model": StepReportRecorded}},
        },
        **_STEP_ERRORS,
        413: error_doc("The body is larger than 64 KiB.", html=True),
        415: error_doc("The report is neither a form nor JSON.", html=True),
    },
    openapi_extensions={"requestBody": body_doc(StepReportBody, http.FORM, http.JSON)},
)
def report_step(ticket_id: TicketId) -> Response[str]:
    services = http.current_services()
    event = router.current_event
    fields = http.form_or_json(event, "token, outcome, note")
    if fields.get("outcome") not in ("done", "failed"):
        raise RequestError("Say 'done' or 'failed' in the field 'outcome'.", code="invalid_report")
    if not fields.get("token"):
        raise RequestError("The form needs the 'token' from the link. Use the link from the email.")
    body = http.parsed(StepReportBody, fields, "invalid_report")
    given = person_steps.report(services, ticket_id, body.token, body.outcome, body.note)
    count("StepsReportedDone" if given.outcome == "done" else "StepsReportedFailed")
    if http.wants_html(event):
        return http.html_response(200, step_pages.reported_page(ticket_id, given))
    ticket_url = f"{services.settings.base_url}/tickets/{ticket_id}"
    return http.json_response(200, StepReportRecorded(ticket_id=ticket_id, report=given, links={"ticket": ticket_url}))
