"""Person steps on the fakes: Execute stops at a customer or engineer step, the person is asked with a signed
link, their report (or its absence) becomes the step's result, and Execute carries on after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fakes import FakeServices, fake_settings
from tests.journey import TICKET, await_approval, decision, history, latest, task
from ticketing.domain.approval_link import STEP_PURPOSE
from ticketing.domain.errors import (
    AlreadyReported,
    PlanNotApproved,
    ResolutionStepFailed,
    StepLinkExpired,
    StepLinkInvalid,
    StepReportClosed,
)
from ticketing.domain.events import lifecycle_event
from ticketing.domain.models import Decision, TicketState
from ticketing.domain.task_payloads import ExecuteTask, ExecutionReport, RequestStepReportTask
from ticketing.logic import person_steps, workflow_tasks

# The network plan: check the connection (device), restart the router (customer), reset the adapter (device),
# check for a provider outage (engineer).
CUSTOMER_STEP, ENGINEER_STEP = "network.restart-router", "network.check-isp-outage"


def person_services(**settings: Any) -> FakeServices:
    values = {"RESOLUTION_EXECUTOR": "catalog", "PERSON_STEPS": "true", "ENGINEER_EMAIL": "eng@example.com"}
    return FakeServices(settings=fake_settings(**{**values, **settings}))


@pytest.fixture
def services() -> FakeServices:
    return person_services()


def approved(services: FakeServices) -> Decision:
    return decision(await_approval(services))


def execute(services: FakeServices, approval: Decision, step_report: dict[str, Any] | None = None) -> ExecutionReport:
    return workflow_tasks.execute_plan(services, task(ExecuteTask, decision=approval, step_report=step_report or {}))


def ask(services: FakeServices, report: ExecutionReport, task_token: str = "step-token-1") -> str:
    """Run Await step report for the step Execute stopped at; the token of the link the email carries."""
    person_steps.request_step_report(
        services,
        task(RequestStepReportTask, action_id=report.waiting_on, kind=report.waiting_kind, task_token=task_token),
    )
    email = services.mailer.sent[-1]
    link = next(word for word in email.text.split() if "/steps/" in word)
    return parse_qs(urlsplit(link).query)["token"][0]


def reported(services: FakeServices) -> dict[str, Any]:
    """What Step Functions hands back to the workflow: the last report the API sent."""
    return services.workflow.step_reports[-1][1].model_dump(mode="json")


def test_execute_runs_the_automated_steps_and_stops_at_the_first_person_step(services: FakeServices) -> None:
    report = execute(services, approved(services))
    assert (report.waiting_on, report.waiting_kind) == (CUSTOMER_STEP, "customer")
    assert [r.action_id for r in report.step_results] == ["network.check-connection-status"]
    assert latest(services).state is TicketState.EXECUTING  # Await step report writes the next checkpoint


def test_the_customer_gets_the_steps_instructions_and_a_link_for_step_reports_only(services: FakeServices) -> None:
    token = ask(services, execute(services, approved(services)))
    waiting = latest(services)
    assert waiting.state is TicketState.AWAITING_STEP_REPORT
    asked = waiting.data.step_request
    assert asked is not None and asked.task_token == "step-token-1" and asked.action_id == CUSTOMER_STEP
    assert asked.recipient == TICKET.customer_email and asked.number == waiting.sequence
    email = services.mailer.sent[-1]
    assert email.to == (TICKET.customer_email,) and email.kind == "step-customer"
    assert "Power-cycle the router" in email.text and "Didn't help" in email.text
    assert "step-token-1" not in email.text + email.html
    now = datetime.now(UTC)
    assert (
        services.signer.verify(token, ticket_id=TICKET.ticket_id, now=now, purpose=STEP_PURPOSE).round == asked.number
    )
    with pytest.raises(Exception, match="not valid"):  # no approval link, no confirmation link
        services.signer.verify(token, ticket_id=TICKET.ticket_id, now=now)
    event = lifecycle_event(waiting, base_url="https://x")
    assert event.detail_type == "Step Report Requested" and event.detail.step_request is not None
    assert "step-token-1" not in event.detail.model_dump_json()


def test_done_is_recorded_as_the_steps_success_and_execute_goes_on_to_the_engineer_step(
    services: FakeServices,
) -> None:
    approval = approved(services)
    token = ask(services, execute(services, approval))
    shown = person_steps.review(services, TICKET.ticket_id, token)
    assert shown.step.action_id == CUSTOMER_STEP and services.workflow.step_reports == []  # GET decided nothing
    person_steps.report(services, TICKET.ticket_id, token, "done", "  rebooted it twice ")
    report = execute(services, approval, reported(services))
    assert (report.waiting_on, report.waiting_kind) == (ENGINEER_STEP, "engineer")
    results = {r.action_id: r for r in report.step_results}
    assert results[CUSTOMER_STEP].status == "succeeded" and results[CUSTOMER_STEP].executor == "customer"
    assert "Note: rebooted it twice" in results[CUSTOMER_STEP].detail
    assert "network.reset-adapter" in results  # the device step after it ran
    ask(services, report, "step-token-2")
    engineer_email = services.mailer.sent[-1]
    assert engineer_email.to == ("eng@example.com",) and engineer_email.kind == "step-engineer"


def test_the_last_report_completes_the_plan_with_one_result_per_step(services: FakeServices) -> None:
    approval = approved(services)
    first = ask(services, execute(services, approval))
    person_steps.report(services, TICKET.ticket_id, first, "done", "")
    second = ask(services, execute(services, approval, reported(services)), "step-token-2")
    person_steps.report(services, TICKET.ticket_id, second, "done", "No outage listed for the area.")
    final = execute(services, approval, reported(services))
    assert final.waiting_on == "" and final.completed_now
    assert latest(services).state is TicketState.COMPLETED
    assert [r.status for r in final.step_results] == ["succeeded"] * 4
    states = [c.state for c in history(services)]
    assert states.count(TicketState.AWAITING_STEP_REPORT) == 2


def test_didnt_help_is_a_failed_step_that_fails_the_ticket_as_any_failed_step(services: FakeServices) -> None:
    approval = approved(services)
    token = ask(services, execute(services, approval))
    person_steps.report(services, TICKET.ticket_id, token, "failed", "still drops")
    with pytest.raises(ResolutionStepFailed, match="Didn't help"):
        execute(services, approval, reported(services))
    failed = latest(services).data.step_results[-1]
    assert (failed.action_id, failed.status) == (CUSTOMER_STEP, "failed")


def test_no_report_within_the_timeout_is_a_failed_step(services: FakeServices) -> None:
    approval = approved(services)
    ask(services, execute(services, approval))
    timeout = {"Error": "States.Timeout", "Cause": "the task timed out"}
    with pytest.raises(ResolutionStepFailed, match="did not report"):
        execute(services, approval, timeout)
    assert latest(services).data.step_results[-1].status == "failed"


def test_a_retried_execute_after_the_report_records_it_once(services: FakeServices) -> None:
    approval = approved(services)
    token = ask(services, execute(services, approval))
    person_steps.report(services, TICKET.ticket_id, token, "done", "")
    first = execute(services, approval, reported(services))
    again = execute(services, approval, reported(services))  # the same input: a Retry of the task
    assert again.waiting_on == first.waiting_on
    assert [r.action_id for r in again.step_results].count(CUSTOMER_STEP) == 1


def test_a_retried_await_keeps_the_request_so_the_first_link_still_answers(services: FakeServices) -> None:
    approval = approved(services)
    stopped = execute(services, approval)
    first = ask(services, stopped, "step-token-1")
    ask(services, stopped, "step-token-2")  # a retry of the task: a new task token, the same request
    person_steps.report(services, TICKET.ticket_id, first, "done", "")
    assert services.workflow.step_reports[-1][0] == "step-token-2"


def test_a_second_report_is_409_and_changes_nothing(services: FakeServices) -> None:
    approval = approved(services)
    token = ask(services, execute(services, approval))
    person_steps.report(services, TICKET.ticket_id, token, "done", "")
    execute(services, approval, reported(services))
    with pytest.raises(AlreadyReported, match="already reported done"):
        person_steps.report(services, TICKET.ticket_id, token, "failed", "")
    with pytest.raises(AlreadyReported):
        person_steps.review(services, TICKET.ticket_id, token)
    assert len(services.workflow.step_reports) == 1


def test_a_racing_second_click_is_409_too(services: FakeServices) -> None:
    token = ask(services, execute(services, approved(services)))
    person_steps.report(services, TICKET.ticket_id, token, "done", "")
    with pytest.raises(AlreadyReported):  # not recorded yet: Step Functions refuses the token
        person_steps.report(services, TICKET.ticket_id, token, "done", "")


def test_forged_foreign_and_other_purpose_links_are_refused(services: FakeServices) -> None:
    token = ask(services, execute(services, approved(services)))
    with pytest.raises(StepLinkInvalid):
        person_steps.review(services, TICKET.ticket_id, token[:-2] + "xx")
    with pytest.raises(StepLinkInvalid):
        person_steps.report(services, "tkt-20261125-0123456789ac", token, "done", "")
    waiting = latest(services)
    approval_token = services.signer.issue(
        ticket_id=TICKET.ticket_id,
        checkpoint_hash=waiting.content_hash,
        plan_hash="x",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
        round=waiting.sequence,
    )
    with pytest.raises(StepLinkInvalid):
        person_steps.report(services, TICKET.ticket_id, approval_token, "done", "")
    assert services.workflow.step_reports == []


def test_an_expired_link_is_410() -> None:
    services = person_services(PERSON_STEP_TIMEOUT_SECONDS="1")
    token = ask(services, execute(services, approved(services)))
    asked = latest(services).data.step_request
    assert asked is not None and asked.link_expires_at - asked.requested_at == timedelta(seconds=1)
    expired = services.signer.issue(
        ticket_id=TICKET.ticket_id,
        checkpoint_hash="h",
        plan_hash="p",
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
        round=asked.number,
        purpose=STEP_PURPOSE,
    )
    with pytest.raises(StepLinkExpired):
        person_steps.review(services, TICKET.ticket_id, expired)
    assert token  # the link the email carried was issued for that one second


def test_a_step_that_timed_out_is_410_for_a_late_click(services: FakeServices) -> None:
    approval = approved(services)
    token = ask(services, execute(services, approval))
    with pytest.raises(ResolutionStepFailed):
        execute(services, approval, {"Error": "States.Timeout"})
    with pytest.raises(StepReportClosed):
        person_steps.report(services, TICKET.ticket_id, token, "done", "")


def test_a_stopped_workflow_no_longer_takes_a_report(services: FakeServices) -> None:
    token = ask(services, execute(services, approved(services)))
    services.workflow.stop(TICKET.ticket_id, "ABORTED")
    with pytest.raises(StepReportClosed):
        person_steps.review(services, TICKET.ticket_id, token)


def test_person_steps_off_or_simulated_executors_run_every_step_without_waiting() -> None:
    for services in (person_services(PERSON_STEPS="false"), person_services(RESOLUTION_EXECUTOR="simulated")):
        report = execute(services, approved(services))
        assert report.waiting_on == "" and latest(services).state is TicketState.COMPLETED


def test_an_override_makes_a_person_step_run_simulated() -> None:
    services = person_services(EXECUTOR_OVERRIDES=f'{{"{CUSTOMER_STEP}": "simulated"}}')
    report = execute(services, approved(services))
    assert report.waiting_on == ENGINEER_STEP


def test_asking_for_a_step_outside_the_approved_plan_is_refused(services: FakeServices) -> None:
    execute(services, approved(services))
    with pytest.raises(PlanNotApproved):
        person_steps.request_step_report(
            services, task(RequestStepReportTask, action_id="account.verify-identity", kind="customer", task_token="t")
        )
