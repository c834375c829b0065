"""A ticket's conversation: post a message and get a reply, read the turns."""

from __future__ import annotations

from dataclasses import dataclass

from ..agents import conversation as agent
from ..domain.conversation import Turn, brief
from ..ports import Services
from .tickets import require_ticket_id, ticket_record

LAST_TURNS = agent.LAST_TURNS


@dataclass(frozen=True)
class ConversationReply:
    ticket_id: str
    state: str
    reply: Turn
    source: str
    fallback_reason: str


def post_message(services: Services, ticket_id: str, text: str) -> ConversationReply:
    """Store the customer's message, answer it from memory, store the answer."""
    record = ticket_record(services, ticket_id)
    ticket, latest = record.ticket, record.latest
    earlier = services.conversation.last_turns(ticket.ticket_id, ticket.customer_id, LAST_TURNS)
    services.conversation.append(ticket, "USER", text)
    answer = agent.reply(
        brief(ticket, latest, record.state),
        latest,
        earlier,
        text,
        services.language_model,
        services.settings.model_id,
    )
    said = services.conversation.append(ticket, "ASSISTANT", answer.text)
    return ConversationReply(
        ticket_id=ticket.ticket_id,
        state=record.state,
        reply=said,
        source=answer.source,
        fallback_reason=answer.fallback_reason,
    )


def conversation(services: Services, ticket_id: str) -> tuple[str, list[Turn]]:
    """The ticket id and every turn of its conversation, oldest first."""
    ticket, _ = services.workflow.runs(require_ticket_id(ticket_id))
    return ticket.ticket_id, services.conversation.turns(ticket.ticket_id, ticket.customer_id)
