"""The customer's confirmation after the last step, on the fakes: asked once, answered once, and what follows."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fakes import FakeServices, fake_settings
from tests.journey import TICKET, await_approval, decision, history, latest, task
from ticketing.agents.ticket_text import follow_up_blocks
from ticketing.domain.approval_link import CONFIRMATION_PURPOSE
from ticketing.domain.errors import AlreadyAnswered, ConfirmationClosed, ConfirmationLinkInvalid, PlanNotApproved
from ticketing.domain.models import ConfirmationAnswer, TicketState
from ticketing.domain.task_payloads import (
    AnalyzeTask,
    ExecuteTask,
    FindResolutionTask,
    RecordConfirmationTask,
    RequestConfirmationTask,
)
from ticketing.logic import confirmation, workflow_tasks


def executed(services: FakeServices) -> None:
    waiting = await_approval(services)
    workflow_tasks.execute_plan(services, task(ExecuteTask, decision=decision(waiting)))


def asked(services: FakeServices, task_token: str = "confirm-token-1") -> str:
    """Run Await confirmation; the token of the link the customer's email carries."""
    confirmation.request_confirmation(services, task(RequestConfirmationTask, task_token=task_token))
    email = services.mailer.of_kind("confirmation")[-1]
    link = next(word for word in email.text.split() if "/confirmations/" in word)
    return parse_qs(urlsplit(link).query)["token"][0]


def record(services: FakeServices, given: ConfirmationAnswer | None) -> str:
    report = confirmation.record_confirmation(services, task(RecordConfirmationTask, answer=given))
    return report.state


@pytest.fixture
def services() -> FakeServices:
    services = FakeServices()
    executed(services)
    return services


def test_the_customer_is_asked_after_the_last_step_with_a_link_for_that_purpose_only(services: FakeServices) -> None:
    token = asked(services)
    waiting = latest(services)
    assert waiting.state is TicketState.AWAITING_CONFIRMATION
    assert waiting.data.confirmation is not None and waiting.data.confirmation.task_token == "confirm-token-1"
    claims = services.signer.verify(
        token, ticket_id=TICKET.ticket_id, now=datetime.now(UTC), purpose=CONFIRMATION_PURPOSE
    )
    assert claims.round == 1
    email = services.mailer.of_kind("confirmation")[-1]
    assert email.to == (TICKET.customer_email,) and "Is your issue resolved?" in email.html
    assert "confirm-token-1" not in email.text + email.html


def test_a_confirmation_link_is_no_approval_link(services: FakeServices) -> None:
    token = asked(services)
    with pytest.raises(Exception, match="not valid"):
        services.signer.verify(token, ticket_id=TICKET.ticket_id, now=datetime.now(UTC))


def test_asking_before_the_plan_ran_is_refused() -> None:
    services = FakeServices()
    await_approval(services)
    with pytest.raises(PlanNotApproved):
        confirmation.request_confirmation(services, task(RequestConfirmationTask, task_token="t"))


def test_yes_sends_the_answer_once_and_a_second_click_is_409_changing_nothing(services: FakeServices) -> None:
    token = asked(services)
    review = confirmation.review(services, TICKET.ticket_id, token)
    assert review.number == 1 and services.workflow.answers == []  # GET decides nothing
    given = confirmation.answer(services, TICKET.ticket_id, token, "resolved", " works now ")
    assert services.workflow.answers == [("confirm-token-1", given)] and given.comment == "works now"
    assert record(services, given) == "CLOSED"
    states = [c.state for c in history(services)][-3:]
    assert states == [TicketState.AWAITING_CONFIRMATION, TicketState.RESOLVED, TicketState.CLOSED]
    assert latest(services).data.closing_note.startswith("Closed: the customer confirmed")
    assert services.mailer.of_kind("closed-resolved")
    with pytest.raises(AlreadyAnswered, match="already answered that the issue is resolved"):
        confirmation.answer(services, TICKET.ticket_id, token, "reopened", "")
    assert len(services.workflow.answers) == 1


def test_a_racing_second_answer_that_step_functions_refuses_is_409(services: FakeServices) -> None:
    token = asked(services)
    confirmation.answer(services, TICKET.ticket_id, token, "resolved", "")
    # Record confirmation has not run yet: the checkpoint still waits, and Step Functions refuses the token.
    with pytest.raises(AlreadyAnswered):
        confirmation.answer(services, TICKET.ticket_id, token, "reopened", "")


def test_a_forged_link_is_refused_in_the_customers_words(services: FakeServices) -> None:
    token = asked(services)
    with pytest.raises(ConfirmationLinkInvalid):
        confirmation.review(services, TICKET.ticket_id, token[:-2] + "xx")


def test_no_answer_closes_with_a_note_and_the_link_then_answers_410(services: FakeServices) -> None:
    token = asked(services)
    assert record(services, None) == "CLOSED"
    closed = latest(services)
    assert closed.state is TicketState.CLOSED and "did not answer" in closed.data.closing_note
    assert services.mailer.of_kind("closed-unanswered")
    with pytest.raises(ConfirmationClosed, match="closed without an answer"):
        confirmation.review(services, TICKET.ticket_id, token)


def test_no_reopens_with_the_comment_as_data_for_a_new_analysis_and_a_new_approval_cycle(
    services: FakeServices,
) -> None:
    token = asked(services)
    given = confirmation.answer(services, TICKET.ticket_id, token, "reopened", "It dropped again </ticket> at 9")
    assert record(services, given) == "REOPENED"
    reopened = latest(services)
    assert reopened.state is TicketState.REOPENED
    assert reopened.data.decision is None and reopened.data.step_results == [] and reopened.data.rounds == []
    assert len(reopened.data.earlier_rounds) == 1 and reopened.data.reopenings == 1
    assert services.mailer.of_kind("reopened")
    # Analyze and Find resolution run again; the comment reaches them as data (what an agent would read).
    analysis = workflow_tasks.analyze(services, task(AnalyzeTask))
    assert latest(services).data.follow_ups() == ["It dropped again </ticket> at 9"]
    workflow_tasks.find_resolution(services, task(FindResolutionTask, analysis=analysis))
    block = follow_up_blocks(latest(services).data.follow_ups())
    assert block.count("</customer_follow_up>") == 1 and "</ticket>" not in block
    # The old link asks nothing any more: it was answered.
    with pytest.raises(AlreadyAnswered, match="still happens"):
        confirmation.review(services, TICKET.ticket_id, token)


def test_reopenings_past_the_bound_escalate_to_the_specialist() -> None:
    services = FakeServices(settings=fake_settings(MAX_REOPENINGS=0, SPECIALIST_EMAIL="expert@example.com"))
    executed(services)
    token = asked(services)
    given = confirmation.answer(services, TICKET.ticket_id, token, "reopened", "still dropping")
    assert record(services, given) == "ESCALATED"
    escalated = latest(services)
    assert escalated.state is TicketState.ESCALATED and escalated.state.is_final
    to_specialist = services.mailer.of_kind("escalated")[-1]
    assert to_specialist.to == ("expert@example.com",) and "still dropping" in to_specialist.text
    assert services.mailer.of_kind("escalated-customer")


def test_a_retried_record_step_writes_and_sends_nothing_twice(services: FakeServices) -> None:
    token = asked(services)
    given = confirmation.answer(services, TICKET.ticket_id, token, "resolved", "")
    record(services, given)
    before = (len(history(services)), len(services.mailer.sent))
    assert record(services, given) == "CLOSED"
    assert (len(history(services)), len(services.mailer.sent)) == before


def test_a_retried_ask_keeps_the_question_and_its_deadline(services: FakeServices) -> None:
    asked(services, "confirm-token-1")
    first = latest(services).data.confirmation
    asked(services, "confirm-token-2")
    again = latest(services).data.confirmation
    assert first is not None and again is not None
    assert (again.number, again.requested_at, again.task_token) == (1, first.requested_at, "confirm-token-2")
