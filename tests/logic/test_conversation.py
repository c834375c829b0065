"""A ticket's conversation (`logic.conversation`): post a message, get a reply, read the turns.

What a reply says in each state is the agent's (tests/unit/test_conversation_reply.py);
how turns are stored is the store's. Here: which ticket, which state and which turns
the reply is built from, and what is kept.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import make_ticket
from tests.fakes import FakeServices
from tests.journey import await_approval, decision, task
from tests.scripted_model import ScriptedModel, text
from ticketing.domain.errors import TicketNotFound
from ticketing.domain.task_payloads import CloseTask
from ticketing.logic import conversation, workflow_tasks

TICKET = make_ticket("My wifi keeps dropping every few minutes.", customer_id="cust-42")
RECOVERY_QUESTION = "What was the issue we were working on?"


@pytest.fixture
def services() -> FakeServices:
    services = FakeServices()
    services.workflow.start(TICKET)
    return services


def stored(services: FakeServices) -> list[tuple[str, str]]:
    return [(t.role, t.text) for t in services.conversation.turns(TICKET.ticket_id, TICKET.customer_id)]


def test_a_message_and_its_reply_are_kept_as_the_tickets_turns(services: FakeServices) -> None:
    answered = conversation.post_message(services, TICKET.ticket_id, RECOVERY_QUESTION)
    assert (answered.ticket_id, answered.source) == (TICKET.ticket_id, "template")
    assert "no model" in answered.fallback_reason
    assert stored(services) == [("USER", RECOVERY_QUESTION), ("ASSISTANT", answered.reply.text)]
    assert answered.reply.role == "ASSISTANT"


def test_the_recovery_question_is_answered_with_the_issue_the_state_and_what_is_next(services: FakeServices) -> None:
    answered = conversation.post_message(services, TICKET.ticket_id, RECOVERY_QUESTION)
    assert answered.state == "RECEIVED"
    assert TICKET.description in answered.reply.text
    assert "(RECEIVED)" in answered.reply.text
    assert "What happens next: The workflow analyses the issue" in answered.reply.text


def test_after_the_workflow_ended_a_fresh_reply_still_knows_the_issue_and_the_outcome(services: FakeServices) -> None:
    waiting = await_approval(services, TICKET, start=False)
    rejected = decision(waiting, "rejected")
    workflow_tasks.close_ticket(services, task(CloseTask, TICKET, outcome="REJECTED", decision=rejected))
    services.workflow.stop(TICKET.ticket_id)
    answered = conversation.post_message(services, TICKET.ticket_id, RECOVERY_QUESTION)
    assert answered.state == "REJECTED"
    assert TICKET.description in answered.reply.text
    assert "rejected" in answered.reply.text and "What happens next: The workflow has ended." in answered.reply.text


def test_the_conversation_lists_every_turn_in_order(services: FakeServices) -> None:
    for said in ("Hello?", RECOVERY_QUESTION, "Thanks."):
        conversation.post_message(services, TICKET.ticket_id, said)
    ticket_id, turns = conversation.conversation(services, TICKET.ticket_id)
    assert ticket_id == TICKET.ticket_id
    assert [t.role for t in turns] == ["USER", "ASSISTANT"] * 3
    assert [t.text for t in turns[::2]] == ["Hello?", RECOVERY_QUESTION, "Thanks."]
    assert [t.at for t in turns] == sorted(t.at for t in turns)


def test_the_model_hears_the_earlier_turns_once_and_the_new_message_as_the_question() -> None:
    model = ScriptedModel([text("First answer."), text("Second answer.")])
    services = FakeServices(language_model=model)
    services.workflow.start(TICKET)
    conversation.post_message(services, TICKET.ticket_id, "Hello?")
    answered = conversation.post_message(services, TICKET.ticket_id, "Is it fixed?")
    assert (answered.source, answered.reply.text) == ("model", "Second answer.")
    heard = json.dumps(model.requests[-1].messages)
    assert heard.count("Hello?") == 1 and heard.count("First answer.") == 1 and heard.count("Is it fixed?") == 1
    assert stored(services)[-2:] == [("USER", "Is it fixed?"), ("ASSISTANT", "Second answer.")]


def test_messages_to_an_unknown_or_malformed_ticket_are_not_found_and_store_nothing(services: FakeServices) -> None:
    for ticket_id in ("tkt-20261125-000000000000", "not-a-ticket"):
        with pytest.raises(TicketNotFound):
            conversation.post_message(services, ticket_id, "hi")
        with pytest.raises(TicketNotFound):
            conversation.conversation(services, ticket_id)
    assert services.conversation.stored == {}
