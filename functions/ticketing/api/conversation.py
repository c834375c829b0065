"""Routes of a ticket's conversation: ask, and read the turns."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from ..logic import conversation
from . import http
from .contract import ConversationView, MessageBody, ReplyView, TurnView
from .openapi import body_doc, error_doc
from .paths import TicketId

router = APIGatewayRouter()  # type: ignore[no-untyped-call]


@router.post(
    "/tickets/<ticket_id>/messages",
    summary="Ask about a ticket",
    description=(
        "Stores the customer's message and the assistant's reply as conversation turns in the ticket's "
        "memory session. The reply is built from the last turns and the latest checkpoint: the issue, where "
        "the workflow stands and what happens next, in every state."
    ),
    responses={
        200: {"description": "The assistant's reply.", "content": {http.JSON: {"model": ReplyView}}},
        400: error_doc("The body is not a valid message; nothing was stored."),
        404: error_doc("No such ticket."),
        413: error_doc("The body is larger than 64 KiB."),
        415: error_doc("The body is not sent as application/json."),
    },
    openapi_extensions={"requestBody": body_doc(MessageBody, http.JSON)},
)
def post_message(ticket_id: TicketId) -> Response[str]:
    body = http.json_object(
        router.current_event, "Send the message as JSON with the header 'Content-Type: application/json'."
    )
    message = http.parsed(MessageBody, body, "invalid_message")
    return http.json_response(
        200, ReplyView.of(conversation.post_message(http.current_services(), ticket_id, message.text))
    )


@router.get(
    "/tickets/<ticket_id>/conversation",
    summary="Read a ticket's conversation",
    description="Every customer message and assistant reply on the ticket, oldest first.",
    responses={
        200: {"description": "The turns in order.", "content": {http.JSON: {"model": ConversationView}}},
        404: error_doc("No such ticket."),
    },
)
def get_conversation(ticket_id: TicketId) -> Response[str]:
    found, turns = conversation.conversation(http.current_services(), ticket_id)
    return http.json_response(200, ConversationView(ticket_id=found, turns=[TurnView.of(t) for t in turns]))
