"""Ticket intake and where a ticket stands (`logic.tickets`).

An `Idempotency-Key` makes a client's retry return the same ticket and start nothing
new; the key names the run, and the run's input keeps the request's fingerprint.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest

from tests.fakes import FakeServices
from tests.journey import task
from ticketing.domain.errors import IdempotencyKeyReused, TicketNotFound, WorkflowUnavailable
from ticketing.domain.models import TICKET_ID_PATTERN, NewTicket, Ticket, TicketState
from ticketing.domain.task_payloads import AnalyzeTask, CloseTask
from ticketing.logic import resume, tickets, workflow_tasks
from ticketing.logic.checkpoints import record_checkpoint

REQUEST = NewTicket(customer_id="cust-42", customer_email="jo@example.com", description="My wifi keeps dropping.")


@pytest.fixture
def services() -> FakeServices:
    return FakeServices()


def runs(services: FakeServices) -> list[str]:
    return list(services.workflow.runs_by_name)


# Submitting


def test_submitting_starts_one_run_named_after_the_new_ticket(services: FakeServices) -> None:
    submitted = tickets.submit_ticket(services, REQUEST)
    ticket = submitted.ticket
    assert not submitted.replayed
    assert re.fullmatch(TICKET_ID_PATTERN, ticket.ticket_id)
    assert (ticket.customer_id, ticket.customer_email, ticket.description) == (
        "cust-42",
        "jo@example.com",
        "My wifi keeps dropping.",
    )
    assert runs(services) == [ticket.ticket_id]
    assert services.workflow.runs_by_name[ticket.ticket_id].input == {"ticket": ticket.model_dump(mode="json")}


def test_a_random_id_that_collides_is_unavailable_not_someone_elses_ticket(
    services: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tickets, "new_ticket_id", lambda now: "tkt-20261125-000000000000")
    first = tickets.submit_ticket(services, REQUEST)
    with pytest.raises(WorkflowUnavailable, match="nothing was created"):
        tickets.submit_ticket(services, REQUEST.model_copy(update={"customer_id": "cust-other"}))
    assert runs(services) == [first.ticket.ticket_id]
    assert services.workflow.runs(first.ticket.ticket_id)[0] == first.ticket


def test_a_retry_with_the_same_key_returns_the_same_ticket_and_starts_nothing(services: FakeServices) -> None:
    first = tickets.submit_ticket_once(services, REQUEST, "order-1234-try")
    again = tickets.submit_ticket_once(services, REQUEST, "order-1234-try")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.ticket == first.ticket  # same id, same submission time
    assert runs(services) == [first.ticket.ticket_id]


def test_the_same_key_with_another_ticket_is_refused_and_starts_nothing(services: FakeServices) -> None:
    tickets.submit_ticket_once(services, REQUEST, "k-2")
    with pytest.raises(IdempotencyKeyReused, match="different ticket"):
        tickets.submit_ticket_once(services, REQUEST.model_copy(update={"description": "Something else."}), "k-2")
    assert len(runs(services)) == 1


def test_different_keys_and_no_key_are_different_tickets(services: FakeServices) -> None:
    ids = {
        tickets.submit_ticket_once(services, REQUEST, "k-a").ticket.ticket_id,
        tickets.submit_ticket_once(services, REQUEST, "k-b").ticket.ticket_id,
        tickets.submit_ticket(services, REQUEST).ticket.ticket_id,
        tickets.submit_ticket(services, REQUEST).ticket.ticket_id,
    }
    assert len(ids) == 4 and set(runs(services)) == ids


def test_keys_are_scoped_to_the_customer(services: FakeServices) -> None:
    mine = tickets.submit_ticket_once(services, REQUEST, "shared-key")
    theirs = tickets.submit_ticket_once(services, REQUEST.model_copy(update={"customer_id": "cust-43"}), "shared-key")
    assert not theirs.replayed and theirs.ticket.ticket_id != mine.ticket.ticket_id


def test_a_keyed_ticket_id_has_the_ticket_id_shape(services: FakeServices) -> None:
    keyed = tickets.submit_ticket_once(services, REQUEST, "k-shape").ticket.ticket_id
    assert re.fullmatch(TICKET_ID_PATTERN, keyed)
    assert tickets.require_ticket_id(keyed) == keyed


def test_concurrent_retries_with_one_key_start_one_run(services: FakeServices) -> None:
    answers: list[str] = []
    start = threading.Barrier(8)

    def retry() -> None:
        start.wait()
        answers.append(tickets.submit_ticket_once(services, REQUEST, "burst").ticket.ticket_id)

    threads = [threading.Thread(target=retry) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 8 and len(set(answers)) == 1
    assert runs(services) == answers[:1]


def test_a_retry_that_loses_the_start_to_a_concurrent_one_answers_with_its_ticket(
    services: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both looked before either started: this one's start is refused as taken, so it replays the winner's.
    first = tickets.submit_ticket_once(services, REQUEST, "raced")
    look_up = services.workflow.submission
    lookups: list[str] = []

    def not_started_when_looked(ticket_id: str) -> tuple[Ticket, str | None] | None:
        lookups.append(ticket_id)
        return None if len(lookups) <= 2 else look_up(ticket_id)  # today's and yesterday's id: nothing yet

    monkeypatch.setattr(services.workflow, "submission", not_started_when_looked)
    again = tickets.submit_ticket_once(services, REQUEST, "raced")
    assert again.replayed and again.ticket == first.ticket and len(runs(services)) == 1


def test_a_retry_just_after_midnight_finds_yesterdays_ticket(
    services: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tickets, "utc_now", lambda: datetime(2026, 11, 24, 23, 59, 59, tzinfo=UTC))
    first = tickets.submit_ticket_once(services, REQUEST, "late-night")
    monkeypatch.setattr(tickets, "utc_now", lambda: datetime(2026, 11, 25, 0, 0, 5, tzinfo=UTC))
    retry = tickets.submit_ticket_once(services, REQUEST, "late-night")
    assert retry.replayed and retry.ticket == first.ticket
    assert len(runs(services)) == 1


def test_a_retry_after_the_ticket_was_resumed_still_finds_the_ticket(services: FakeServices) -> None:
    """The newest run (`-r1`) holds no request fingerprint; the first one does."""
    first = tickets.submit_ticket_once(services, REQUEST, "order-77")
    services.workflow.stop(first.ticket.ticket_id, "ABORTED")
    resume.resume_ticket(services, first.ticket.ticket_id)
    again = tickets.submit_ticket_once(services, REQUEST, "order-77")
    assert again.replayed and again.ticket == first.ticket
    assert len(runs(services)) == 2  # the first run and the resume; the retry started nothing


# Where a ticket stands


def test_unknown_and_malformed_ticket_ids_are_not_found_before_any_lookup(services: FakeServices) -> None:
    for ticket_id in ("tkt-20261125-000000000000", "nope", "..%2F..%2Fetc", "tkt-20261125-0123456789AB"):
        with pytest.raises(TicketNotFound):
            tickets.ticket_record(services, ticket_id)


def test_a_submitted_ticket_without_checkpoints_is_received(services: FakeServices) -> None:
    ticket = tickets.submit_ticket(services, REQUEST).ticket
    record = tickets.ticket_record(services, ticket.ticket_id)
    assert (record.ticket, record.state, record.history, record.latest) == (ticket, "RECEIVED", [], None)
    assert [r.name for r in record.runs] == [ticket.ticket_id]


def test_a_running_ticket_is_in_its_latest_checkpoints_state(services: FakeServices) -> None:
    ticket = tickets.submit_ticket(services, REQUEST).ticket
    workflow_tasks.analyze(services, task(AnalyzeTask, ticket))
    record = tickets.ticket_record(services, ticket.ticket_id)
    assert record.state == "ANALYZING" and record.latest is not None and record.latest.state is TicketState.ANALYZING


def test_a_workflow_that_ended_without_a_final_checkpoint_is_not_shown_as_in_progress(services: FakeServices) -> None:
    ticket = tickets.submit_ticket(services, REQUEST).ticket
    record_checkpoint(services.checkpoints, ticket, TicketState.ANALYZING, "x/ANALYZING")
    services.workflow.stop(ticket.ticket_id, "ABORTED")
    assert tickets.ticket_record(services, ticket.ticket_id).state == "WORKFLOW_ABORTED"


def test_a_stopped_run_without_a_checkpoint_shows_the_runs_status(services: FakeServices) -> None:
    ticket = tickets.submit_ticket(services, REQUEST).ticket
    services.workflow.stop(ticket.ticket_id, "TIMED_OUT")
    assert tickets.ticket_record(services, ticket.ticket_id).state == "WORKFLOW_TIMED_OUT"


def test_an_ended_ticket_is_in_its_final_state_and_a_resumed_one_is_resuming(services: FakeServices) -> None:
    ticket = tickets.submit_ticket(services, REQUEST).ticket
    workflow_tasks.close_ticket(services, task(CloseTask, ticket, outcome="EXPIRED"))
    services.workflow.stop(ticket.ticket_id)
    assert tickets.ticket_record(services, ticket.ticket_id).state == "EXPIRED"
    resume.resume_ticket(services, ticket.ticket_id)
    record = tickets.ticket_record(services, ticket.ticket_id)
    assert record.state == "RESUMING" and [r.name for r in record.runs] == [ticket.ticket_id, f"{ticket.ticket_id}-r1"]


@pytest.mark.parametrize("outcome", ["EXPIRED", "FAILED"])
def test_a_run_that_wrote_its_final_checkpoint_and_is_still_closing_is_in_that_final_state(
    services: FakeServices, outcome: str
) -> None:
    # Between Close's final checkpoint and the run's end (the notice emails, a Retry) the run still runs;
    # it is not a resumed run waiting for its first checkpoint.
    ticket = tickets.submit_ticket(services, REQUEST).ticket
    workflow_tasks.close_ticket(services, task(CloseTask, ticket, outcome=outcome))
    assert tickets.ticket_record(services, ticket.ticket_id).state == outcome
