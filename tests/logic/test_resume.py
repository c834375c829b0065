"""Resuming a stopped ticket (`logic.resume`): the next run starts where the latest checkpoint says.

Where a ticket resumes for each checkpoint is a pure rule (tests/unit/test_resume.py);
here: which tickets can be resumed, what the next run is named and given, and that the
resumed run's steps carry on without repeating work.
"""

from __future__ import annotations

import pytest

from tests.fakes import FakeServices, FakeWorkflow
from tests.journey import (
    TICKET,
    await_approval,
    decision,
    history,
    latest,
    request_approval_again,
    signed_link,
    task,
)
from ticketing.domain.errors import ApprovalWindowClosed, ResumeRefused, TicketNotFound
from ticketing.domain.models import Ticket, TicketState, WorkflowRun
from ticketing.domain.review import ReviewRequest
from ticketing.domain.task_payloads import CloseTask, ExecuteTask
from ticketing.logic import approvals, resume, workflow_tasks


@pytest.fixture
def services() -> FakeServices:
    return FakeServices()


def test_an_unknown_or_malformed_ticket_id_is_not_found(services: FakeServices) -> None:
    for ticket_id in ("tkt-20261125-000000000000", "../etc", ""):
        with pytest.raises(TicketNotFound):
            resume.resume_ticket(services, ticket_id)
    assert services.workflow.runs_by_name == {}


def test_a_ticket_whose_workflow_still_runs_is_not_resumed(services: FakeServices) -> None:
    await_approval(services)
    with pytest.raises(ResumeRefused, match="still running"):
        resume.resume_ticket(services, TICKET.ticket_id)
    assert list(services.workflow.runs_by_name) == [TICKET.ticket_id]


def test_a_completed_ticket_is_not_resumed(services: FakeServices) -> None:
    waiting = await_approval(services)
    workflow_tasks.execute_plan(services, task(ExecuteTask, decision=decision(waiting)))
    services.workflow.stop(TICKET.ticket_id)
    with pytest.raises(ResumeRefused, match="COMPLETED"):
        resume.resume_ticket(services, TICKET.ticket_id)
    assert list(services.workflow.runs_by_name) == [TICKET.ticket_id]


def test_resuming_an_expired_ticket_starts_the_next_run_at_the_approval_with_the_plan_and_no_decision(
    services: FakeServices,
) -> None:
    await_approval(services)
    workflow_tasks.close_ticket(services, task(CloseTask, outcome="EXPIRED"))
    services.workflow.stop(TICKET.ticket_id)
    expired = latest(services)
    writes = services.checkpoints.appends

    started = resume.resume_ticket(services, TICKET.ticket_id)

    assert (started.ticket_id, started.execution, started.resumed_from) == (
        TICKET.ticket_id,
        f"{TICKET.ticket_id}-r1",
        "approval",
    )
    assert started.checkpoint_sequence == expired.sequence
    given = services.workflow.runs_by_name[f"{TICKET.ticket_id}-r1"].input
    assert given["resume"] == {
        "from": "approval",
        "previous_execution": TICKET.ticket_id,
        "checkpoint_sequence": expired.sequence,
    }
    assert "decision" not in given and expired.data.plan is not None
    assert given["plan"] == expired.data.plan.model_dump(mode="json")
    assert services.checkpoints.appends == writes  # the resumed run's first step writes, not the resume


def test_each_resume_of_a_ticket_is_the_next_run_after_its_newest(services: FakeServices) -> None:
    services.workflow.start(TICKET)
    services.workflow.stop(TICKET.ticket_id, "ABORTED")
    assert resume.resume_ticket(services, TICKET.ticket_id).execution == f"{TICKET.ticket_id}-r1"
    services.workflow.stop(f"{TICKET.ticket_id}-r1", "FAILED")
    second = resume.resume_ticket(services, TICKET.ticket_id)
    assert (second.execution, second.resumed_from) == (f"{TICKET.ticket_id}-r2", "analysis")
    previous = services.workflow.runs_by_name[second.execution].input["resume"]["previous_execution"]
    assert previous == f"{TICKET.ticket_id}-r1"


def test_two_resumes_at_once_start_one_run(services: FakeServices) -> None:
    class RacedWorkflow(FakeWorkflow):
        """Another resume starts the next run between this one's read and its start."""

        raced = False

        def runs(self, ticket_id: str) -> tuple[Ticket, list[WorkflowRun]]:
            seen = super().runs(ticket_id)
            if not self.raced:
                self.raced = True
                resume.resume_ticket(services, ticket_id)
            return seen

    services.workflow = RacedWorkflow()
    services.workflow.start(TICKET)
    services.workflow.stop(TICKET.ticket_id, "ABORTED")
    with pytest.raises(ResumeRefused, match="already being resumed"):
        resume.resume_ticket(services, TICKET.ticket_id)
    assert sorted(services.workflow.runs_by_name) == [TICKET.ticket_id, f"{TICKET.ticket_id}-r1"]


def test_execute_resumed_after_a_failure_continues_under_the_recorded_approval(services: FakeServices) -> None:
    waiting = await_approval(services)
    approved = decision(waiting)
    error = {"Error": "RuntimeError", "Cause": "boom"}
    snapshot = {"decision": approved.model_dump(mode="json")}
    workflow_tasks.close_ticket(services, task(CloseTask, outcome="FAILED", error=error, snapshot=snapshot))
    assert latest(services).state is TicketState.FAILED

    resumed = task(ExecuteTask, execution_name=f"{TICKET.ticket_id}-r1", decision=approved)
    report = workflow_tasks.execute_plan(services, resumed)

    assert waiting.data.plan is not None and len(report.step_results) == len(waiting.data.plan.steps) == 4
    done = latest(services)
    assert done.state is TicketState.COMPLETED and done.data.failure is None
    assert done.step_key.startswith(f"{TICKET.ticket_id}-r1/")
    assert TicketState.FAILED in [c.state for c in history(services)]  # the history still shows the failure


def test_a_link_of_the_request_that_expired_does_not_decide_the_request_of_the_resumed_run(
    services: FakeServices,
) -> None:
    expired_request = await_approval(services)
    # Links name their round, so a reminder's checkpoint leaves them good; the resumed run asks again in the same round.
    old_link = signed_link(services, expired_request, round=1)
    workflow_tasks.close_ticket(services, task(CloseTask, outcome="EXPIRED"))
    services.workflow.stop(TICKET.ticket_id)
    resume.resume_ticket(services, TICKET.ticket_id)
    request_approval_again(services, "task-token-r1")
    asking = latest(services)
    assert asking.state is TicketState.AWAITING_APPROVAL and asking.data.current_round == 1

    for outcome in ("approved", "rejected"):
        with pytest.raises(ApprovalWindowClosed, match="newer approval request"):
            approvals.decide(services, TICKET.ticket_id, old_link, ReviewRequest(outcome=outcome, reason="No."))
    with pytest.raises(ApprovalWindowClosed):
        approvals.review(services, TICKET.ticket_id, old_link)
    assert services.workflow.decisions == []
    new_link = signed_link(services, asking, round=1)
    assert approvals.decide(services, TICKET.ticket_id, new_link, ReviewRequest(outcome="approved")).decision
    assert [token for token, _ in services.workflow.decisions] == ["task-token-r1"]
