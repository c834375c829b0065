"""A ticket's conversation, as the API offers it: post a message and get a reply, read the turns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from ..agents import conversation as agent
from ..domain.conversation import CustomerMessage, Turn, brief
from ..wiring import Services
from .tickets import require_ticket_id, ticket_state


class TurnView(BaseModel):
    role: str
    text: str
    at: datetime

    @staticmethod
    def of(turn: Turn) -> TurnView:
        return TurnView(role=turn.role, text=turn.text, at=turn.at)


class ReplyView(BaseModel):
    ticket_id: str
    state: str
    reply: TurnView
    source: str
    fallback_reason: str = ""


class ConversationView(BaseModel):
    ticket_id: str
    turns: list[TurnView]


def post_message(services: Services, ticket_id: str, message: CustomerMessage) -> ReplyView:
    """Store the customer's message, answer it from memory, store the answer."""
    ticket, execution = services.workflow.describe(require_ticket_id(ticket_id))
    history = services.checkpoints.history(ticket.ticket_id, ticket.customer_id)
    latest = history[-1] if history else None
    state = ticket_state(latest, execution["status"])
    earlier = services.conversation.turns(ticket.ticket_id, ticket.customer_id)
    services.conversation.append(ticket, "USER", message.text)
    answer = agent.reply(
        brief(ticket, latest, state),
        latest,
        earlier,
        message.text,
        services.language_model,
        services.settings.model_id,
    )
    said = services.conversation.append(ticket, "ASSISTANT", answer.text)
    return ReplyView(
        ticket_id=ticket.ticket_id,
        state=state,
        reply=TurnView.of(said),
        source=answer.source,
        fallback_reason=answer.fallback_reason,
    )


def conversation(services: Services, ticket_id: str) -> ConversationView:
    """Every turn of the ticket's conversation, oldest first."""
    ticket, _ = services.workflow.describe(require_ticket_id(ticket_id))
    turns = services.conversation.turns(ticket.ticket_id, ticket.customer_id)
    return ConversationView(ticket_id=ticket.ticket_id, turns=[TurnView.of(t) for t in turns])
