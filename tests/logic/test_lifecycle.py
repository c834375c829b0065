"""Every checkpoint a step writes is published as one event, after the write, and a failed publish loses nothing."""

from __future__ import annotations

import logging

import pytest

from tests.fakes import FakeCheckpointLog, FakeEventPublisher, FakeServices
from tests.journey import TICKET, await_approval, decision, history, task
from ticketing.domain.models import TicketState
from ticketing.domain.task_payloads import CloseTask, ExecuteTask
from ticketing.logic import workflow_tasks
from ticketing.logic.checkpoints import record_checkpoint
from ticketing.logic.lifecycle import PublishingCheckpointLog

BASE_URL = "https://api.example.com/prod"


@pytest.fixture
def published() -> FakeEventPublisher:
    return FakeEventPublisher()


@pytest.fixture
def services(published: FakeEventPublisher) -> FakeServices:
    services = FakeServices()
    services.checkpoints = PublishingCheckpointLog(FakeCheckpointLog(), published, base_url=BASE_URL)  # type: ignore[assignment]
    return services


def trail(published: FakeEventPublisher) -> list[tuple[int, str]]:
    return [(e.detail.sequence, e.detail.state.value) for e in published.published]


def test_the_approve_path_publishes_one_event_per_checkpoint_in_order(services, published):
    waiting = await_approval(services)
    workflow_tasks.execute_plan(services, task(ExecuteTask, decision=decision(waiting)))
    assert trail(published) == [(c.sequence, c.state.value) for c in history(services)]
    assert trail(published)[-1][1] == "COMPLETED"
    assert {e.detail.ticket_id for e in published.published} == {TICKET.ticket_id}


def test_the_reject_path_ends_with_a_rejected_event(services, published):
    waiting = await_approval(services)
    rejected = decision(waiting, outcome="rejected")
    workflow_tasks.close_ticket(services, task(CloseTask, outcome="REJECTED", decision=rejected))
    assert trail(published) == [(c.sequence, c.state.value) for c in history(services)]
    assert published.published[-1].detail_type == "Ticket Rejected"
    assert published.published[-1].detail.decision is not None


def test_a_publish_that_fails_keeps_the_checkpoint_and_the_step_goes_on(services, published, caplog):
    published.refuse = 1
    with caplog.at_level(logging.ERROR, logger="ticketing.logic.lifecycle"):
        written = record_checkpoint(services.checkpoints, TICKET, TicketState.ANALYZING, "exec/ANALYZING")
    assert history(services) == [written]
    assert published.published == []
    assert f"could not publish event {TICKET.ticket_id}:1" in caplog.text


def test_a_retried_step_publishes_its_event_again_without_writing_again(services, published):
    published.refuse = 1  # the first attempt wrote, then could not publish (or died before it could)
    first = record_checkpoint(services.checkpoints, TICKET, TicketState.ANALYZING, "exec/ANALYZING")
    again = record_checkpoint(services.checkpoints, TICKET, TicketState.ANALYZING, "exec/ANALYZING")
    assert again == first and history(services) == [first]
    assert trail(published) == [(1, "ANALYZING")]


def test_a_consumer_deduplicates_a_republished_event_by_its_id(services, published):
    record_checkpoint(services.checkpoints, TICKET, TicketState.ANALYZING, "exec/ANALYZING")
    record_checkpoint(services.checkpoints, TICKET, TicketState.ANALYZING, "exec/ANALYZING")
    ids = [e.detail.event_id for e in published.published]
    assert ids == [f"{TICKET.ticket_id}:1", f"{TICKET.ticket_id}:1"]
    assert published.published[0] == published.published[1]
