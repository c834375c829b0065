"""Routes of the ticket resource: submit, read, resume."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ..domain.executions import newest_execution_console_url
from ..logic import resume, tickets
from ..observability import count
from . import http
from .contract import ResumeAccepted, TicketAccepted, TicketBody, TicketView
from .openapi import PARAMETERS, body_doc, error_doc
from .paths import TicketId

router = APIGatewayRouter()  # type: ignore[no-untyped-call]


@router.post(
    "/tickets",
    summary="Submit a ticket",
    description=(
        "Creates a ticket and starts its workflow: analysis, a proposed plan, and an approval request "
        "emailed to the approver. With an `Idempotency-Key` header, a retry of the same request returns "
        "the same ticket and starts nothing new; the key is scoped to the `customer_id` and remembered "
        "for at least a day. Without the header, a ticket with an `external_ref` is submitted once per "
        "(system, id) the same way, so a ticketing system that retries creates one ticket. "
        "Invalid input starts nothing."
    ),
    responses={
        202: {
            "description": "The ticket was accepted (or, for a retried Idempotency-Key, found) and its workflow runs.",
            "content": {http.JSON: {"model": TicketAccepted}},
        },
        400: error_doc("The body is not a valid ticket, or the Idempotency-Key header is malformed."),
        409: error_doc("The Idempotency-Key was already used for a different request."),
        413: error_doc("The body is larger than 64 KiB."),
        415: error_doc("The body is not sent as application/json."),
        503: error_doc("The workflow could not be started; nothing was created. Retry later."),
    },
    openapi_extensions={
        "requestBody": body_doc(TicketBody, http.JSON),
        PARAMETERS: [
            {
                "name": http.IDEMPOTENCY_KEY,
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
    services = http.current_services()
    event = router.current_event
    body = http.json_object(event, "Send the ticket as JSON with the header 'Content-Type: application/json'.")
    request = http.parsed(TicketBody, body, "invalid_ticket").new_ticket()
    key = tickets.idempotency_key_for(request, http.idempotency_key(event))
    if key is None:
        submission = tickets.submit_ticket(services, request)
    else:
        submission = tickets.submit_ticket_once(services, request, key)
    if not submission.replayed:  # a retry of the same submission is not a new ticket
        count("TicketsSubmitted")
    ticket = submission.ticket
    url = f"{services.settings.base_url}/tickets/{ticket.ticket_id}"
    accepted = TicketAccepted(
        ticket_id=ticket.ticket_id, state="RECEIVED", submitted_at=ticket.submitted_at, links={"self": url}
    )
    headers = {"Location": url, **({"Idempotent-Replayed": "true"} if submission.replayed else {})}
    return http.json_response(202, accepted, headers)


@router.get(
    "/tickets/<ticket_id>",
    summary="Read a ticket",
    description="The ticket's state, analysis, plan, decision, step results and checkpoint trail.",
    responses={
        200: {"description": "The ticket as it stands.", "content": {http.JSON: {"model": TicketView}}},
        404: error_doc("No such ticket."),
    },
)
def get_ticket(ticket_id: TicketId) -> Response[str]:
    services = http.current_services()
    record = tickets.ticket_record(services, ticket_id)
    settings = services.settings
    console = newest_execution_console_url(settings.aws_region, settings.state_machine_arn, record.runs[-1].name)
    return http.json_response(200, TicketView.of(record).model_copy(update={"execution_console_url": console}))


@router.post(
    "/tickets/<ticket_id>/resume",
    summary="Resume a ticket from its latest checkpoint",
    description=(
        "Starts a new execution for an EXPIRED or FAILED ticket at the first step whose result the latest "
        "checkpoint lacks: a new approval request (old links stay dead), or the plan's steps without a "
        "recorded success. Nothing is analysed twice."
    ),
    responses={
        202: {"description": "The new execution runs.", "content": {http.JSON: {"model": ResumeAccepted}}},
        404: error_doc("No such ticket."),
        409: error_doc("The ticket ended COMPLETED or REJECTED, or its workflow still runs."),
    },
)
def resume_ticket(ticket_id: TicketId) -> Response[str]:
    services = http.current_services()
    started = resume.resume_ticket(services, ticket_id)
    count("TicketsResumed")
    url = f"{services.settings.base_url}/tickets/{started.ticket_id}"
    return http.json_response(202, ResumeAccepted.of(started, {"self": url}), {"Location": url})
