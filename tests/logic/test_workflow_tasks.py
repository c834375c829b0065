"""Each workflow task (`logic.workflow_tasks`) with the payloads the state machine sends, on the fakes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
from pydantic import ValidationError

from tests.fakes import FakeServices
from tests.journey import TICKET, await_approval, decision, history, latest, request_approval_again, task
from ticketing.domain.catalog import load_catalog
from ticketing.domain.errors import PlanNotApproved, ResolutionStepFailed
from ticketing.domain.models import ResolutionStep, StepResult, Ticket, TicketState
from ticketing.domain.task_payloads import AnalyzeTask, CloseTask, ExecuteTask, FindResolutionTask
from ticketing.domain.triage import analyze_ticket
from ticketing.logic import workflow_tasks

LINK = re.compile(r"https://api\.example\.com/prod/approvals/([^?\s]+)\?token=([^\s'\"<&]+)")


@pytest.fixture
def services() -> FakeServices:
    return FakeServices()


def test_analyze_checkpoints_analyzing_and_returns_the_analysis(services: FakeServices) -> None:
    analysis = workflow_tasks.analyze(services, task(AnalyzeTask))
    assert (analysis.category.value, analysis.source) == ("network", "rules")
    assert [c.state for c in history(services)] == [TicketState.ANALYZING]


def test_without_a_model_the_analysis_is_the_rules_analysis_and_says_why(services: FakeServices) -> None:
    answered = workflow_tasks.analyze(services, task(AnalyzeTask)).model_dump(mode="json")
    provenance = answered.pop("provenance")
    expected = analyze_ticket(TICKET).model_dump(mode="json")
    expected.pop("provenance")
    assert answered == expected
    assert (provenance["source"], provenance["model_calls"]) == ("rules", 0)
    assert "no model is configured" in provenance["fallback_reason"]


def test_find_resolution_checkpoints_the_analysis_and_returns_catalog_steps(services: FakeServices) -> None:
    analysis = workflow_tasks.analyze(services, task(AnalyzeTask))
    plan = workflow_tasks.find_resolution(services, task(FindResolutionTask, analysis=analysis))
    assert [s.action_id for s in plan.steps][:2] == ["network.check-connection-status", "network.restart-router"]
    assert latest(services).state is TicketState.FINDING_SOLUTION
    assert latest(services).data.analysis == analysis


def test_request_approval_saves_the_token_and_emails_a_signed_link(services: FakeServices) -> None:
    waiting = await_approval(services, task_token="task-token-1")
    assert waiting.state is TicketState.AWAITING_APPROVAL
    assert waiting.data.approval is not None and waiting.data.approval.task_token == "task-token-1"
    assert waiting.data.analysis is not None
    assert waiting.data.plan_hash == load_catalog().plan_for(waiting.data.analysis).plan_hash
    (email,) = services.mailer.sent
    assert (email.kind, email.to) == ("approval-request", ("approver@example.com",))
    found = LINK.search(email.text)
    assert found is not None
    ticket_id, token = found.groups()
    assert ticket_id == TICKET.ticket_id
    assert "task-token-1" not in email.text and "task-token-1" not in email.html
    claims = services.signer.verify(unquote(token), ticket_id=TICKET.ticket_id, now=datetime.now(UTC))
    assert (claims.checkpoint_hash, claims.plan_hash) == (waiting.content_hash, waiting.data.plan_hash)


def test_request_approval_answers_with_the_message_and_the_checkpoint_it_links_to(services: FakeServices) -> None:
    await_approval(services)
    sent = request_approval_again(services, "task-token-2")
    assert sent == {"message_ids": ["msg-2"], "checkpoint_hash": latest(services).content_hash}


def test_request_approval_retried_with_the_same_token_writes_one_checkpoint(services: FakeServices) -> None:
    await_approval(services, task_token="task-token-1")
    request_approval_again(services, "task-token-1")
    assert [c.state for c in history(services)].count(TicketState.AWAITING_APPROVAL) == 1


def test_execute_runs_exactly_the_approved_plan_and_completes(services: FakeServices) -> None:
    waiting = await_approval(services)
    assert waiting.data.plan is not None
    report = workflow_tasks.execute_plan(services, task(ExecuteTask, decision=decision(waiting)))
    planned = [s.action_id for s in waiting.data.plan.steps]
    assert [r.action_id for r in report.step_results] == planned
    assert (report.executor, report.plan_hash, report.completed_now) == ("simulated", waiting.data.plan_hash, True)
    states = [c.state for c in history(services)]
    assert states[-1] is TicketState.COMPLETED
    assert states.count(TicketState.EXECUTING) == 1 + len(planned)  # entering, then one per step
    done = latest(services).data
    assert done.decision is not None and done.decision.outcome == "approved"
    assert [e.kind for e in services.mailer.sent] == ["approval-request", "approved", "completed"]


def test_execute_refuses_a_plan_other_than_the_approved_one() -> None:
    ran = RecordingExecutor()
    services = FakeServices(executor=ran)
    waiting = await_approval(services)
    with pytest.raises(PlanNotApproved):
        workflow_tasks.execute_plan(services, task(ExecuteTask, decision=decision(waiting, plan_hash="0" * 64)))
    assert latest(services) == waiting and ran.calls == []


def test_execute_refuses_a_rejection() -> None:
    ran = RecordingExecutor()
    services = FakeServices(executor=ran)
    waiting = await_approval(services)
    with pytest.raises(PlanNotApproved):
        workflow_tasks.execute_plan(services, task(ExecuteTask, decision=decision(waiting, "rejected")))
    assert latest(services) == waiting and ran.calls == []


def test_execute_retried_after_a_failed_step_skips_what_already_succeeded() -> None:
    executor = RecordingExecutor(fail_once="network.reset-adapter")
    services = FakeServices(executor=executor)
    waiting = await_approval(services)
    execute = task(ExecuteTask, decision=decision(waiting))
    with pytest.raises(ResolutionStepFailed):
        workflow_tasks.execute_plan(services, execute)
    assert latest(services).state is TicketState.EXECUTING
    workflow_tasks.execute_plan(services, execute)
    assert executor.calls == [
        "network.check-connection-status",
        "network.restart-router",
        "network.reset-adapter",
        "network.reset-adapter",
        "network.check-isp-outage",
    ]
    assert latest(services).state is TicketState.COMPLETED


def test_execute_retried_after_completing_runs_nothing_and_tells_nobody_again() -> None:
    executor = RecordingExecutor()
    services = FakeServices(executor=executor)
    waiting = await_approval(services)
    execute = task(ExecuteTask, decision=decision(waiting))
    first = workflow_tasks.execute_plan(services, execute)
    again = workflow_tasks.execute_plan(services, execute)
    assert (again.completed_now, again.step_results) == (False, first.step_results)
    assert (
        len(executor.calls) == len(first.step_results)
        and [e.kind for e in services.mailer.sent].count("completed") == 1
    )


def test_close_as_rejected_records_the_decision_and_tells_the_customer(services: FakeServices) -> None:
    waiting = await_approval(services)
    rejected = decision(waiting, "rejected")
    report = workflow_tasks.close_ticket(services, task(CloseTask, outcome="REJECTED", decision=rejected))
    assert (report.state, report.notified) == ("REJECTED", ["jo@example.com"])
    assert latest(services).state is TicketState.REJECTED and latest(services).data.decision == rejected
    assert (services.mailer.sent[-1].kind, services.mailer.sent[-1].to) == ("rejected", ("jo@example.com",))


def test_close_as_expired_tells_the_customer_nothing_ran_and_escalates(services: FakeServices) -> None:
    await_approval(services)
    report = workflow_tasks.close_ticket(
        services, task(CloseTask, outcome="EXPIRED", error={"Error": "States.Timeout"})
    )
    assert report.state == "EXPIRED" and set(report.notified) == {"approver@example.com", "ops@example.com"}
    assert latest(services).state is TicketState.EXPIRED
    assert [(e.kind, e.to) for e in services.mailer.sent[1:]] == [
        ("expired-customer", ("jo@example.com",)),
        ("expired", ("approver@example.com", "ops@example.com")),
    ]


def test_handle_failure_records_where_and_why_even_without_earlier_checkpoints(services: FakeServices) -> None:
    error = {"Error": "Boom", "Cause": '{"errorMessage": "x"}'}
    report = workflow_tasks.close_ticket(services, task(CloseTask, outcome="FAILED", error=error))
    assert report.notified == ["ops@example.com"]
    (only,) = history(services)
    assert only.state is TicketState.FAILED and only.data.failure is not None
    assert (only.data.failure.error, only.data.failure.failed_in) == ("Boom", None)


def test_a_failure_after_the_decision_keeps_the_decision_and_the_cause_for_operators(services: FakeServices) -> None:
    waiting = await_approval(services)
    made = decision(waiting)
    error = {"Error": "ValueError", "Cause": "arn:aws:iam::123:role/x is not authorized"}
    snapshot = {"decision": made.model_dump(mode="json"), "error": error}
    workflow_tasks.close_ticket(services, task(CloseTask, outcome="FAILED", error=error, snapshot=snapshot))
    failed = latest(services)
    assert failed.state is TicketState.FAILED and failed.data.decision == made
    assert failed.data.failure is not None and failed.data.failure.failed_in is TicketState.AWAITING_APPROVAL
    assert failed.data.failure.cause.startswith("arn:aws:iam")  # operators need it; the public view hides it
    assert services.mailer.sent[-1].kind == "failed" and services.mailer.sent[-1].to == ("ops@example.com",)


def test_a_malformed_payload_is_refused_before_any_step_runs() -> None:
    with pytest.raises(ValidationError):
        AnalyzeTask.model_validate({"ticket": {"ticket_id": "nope"}})
    with pytest.raises(ValidationError):
        AnalyzeTask.model_validate({"ticket": TICKET.model_dump(mode="json"), "execution_id": ""})


class RecordingExecutor:
    """Succeeds at every step, except `fail_once`'s first run; records each action it runs."""

    name = "recording"

    def __init__(self, fail_once: str | None = None) -> None:
        self.calls: list[str] = []
        self.fail_once = fail_once

    def run(self, ticket: Ticket, step: ResolutionStep) -> StepResult:
        self.calls.append(step.action_id)
        failed = step.action_id == self.fail_once and self.calls.count(step.action_id) == 1
        return StepResult(
            action_id=step.action_id,
            status="failed" if failed else "succeeded",
            detail="",
            finished_at=datetime.now(UTC),
        )
