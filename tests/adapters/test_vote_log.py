"""`AgentCoreVoteLog`: one vote per (ticket, round, request, approver), on moto with the AWS-like Memory emulation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tests.conftest import make_ticket
from tests.local_runtime.emulated_memory import MotoMemory, moto_memory_fixture  # noqa: F401 (the fixture)
from ticketing.adapters.vote_log import AgentCoreVoteLog
from ticketing.domain.models import Vote

TICKET = make_ticket()
STARTED = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def vote(approver: str, outcome: str = "approved", *, nonce: str = "n1", started: datetime = STARTED) -> Vote:
    return Vote(
        ticket_id=TICKET.ticket_id,
        round=1,
        approver=approver,
        outcome=outcome,  # type: ignore[arg-type]
        plan_hash="p" * 64,
        decided_at=datetime.now(UTC),
        nonce=nonce,
        request_started=started,
    )


def test_a_vote_is_stored_and_read_back_with_the_rounds_others(moto_memory: MotoMemory):
    log = AgentCoreVoteLog(moto_memory.client(), moto_memory.memory_id)
    first = log.record(vote("a@example.com"), TICKET.customer_id)
    log.record(vote("b@example.com"), TICKET.customer_id)
    assert first.approver == "a@example.com"
    assert [v.approver for v in log.votes(TICKET.ticket_id, TICKET.customer_id, 1)] == [
        "a@example.com",
        "b@example.com",
    ]
    assert log.votes(TICKET.ticket_id, TICKET.customer_id, 2) == []


def test_a_second_vote_of_the_same_approver_on_the_same_request_returns_the_first(moto_memory: MotoMemory):
    log = AgentCoreVoteLog(moto_memory.client(), moto_memory.memory_id)
    first = log.record(vote("a@example.com", nonce="first"), TICKET.customer_id)
    again = log.record(vote("a@example.com", "rejected", nonce="second"), TICKET.customer_id)
    assert again == first
    assert len(log.votes(TICKET.ticket_id, TICKET.customer_id, 1)) == 1


def test_a_new_request_of_the_same_round_takes_the_approvers_vote_again(moto_memory: MotoMemory):
    log = AgentCoreVoteLog(moto_memory.client(), moto_memory.memory_id)
    log.record(vote("a@example.com", nonce="before"), TICKET.customer_id)
    later = log.record(vote("a@example.com", nonce="after", started=STARTED + timedelta(hours=1)), TICKET.customer_id)
    assert later.nonce == "after"
    assert len(log.votes(TICKET.ticket_id, TICKET.customer_id, 1)) == 2


def test_a_validation_error_other_than_a_replayed_token_is_not_taken_for_a_vote(moto_memory: MotoMemory):
    client = moto_memory.client()
    with Stubber(client) as stub:
        stub.add_client_error("create_event", service_error_code="ValidationException", http_status_code=400)
        with pytest.raises(ClientError):
            AgentCoreVoteLog(client, moto_memory.memory_id).record(vote("a@example.com"), TICKET.customer_id)
