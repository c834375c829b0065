"""Steps a person carries out: the customer (restart the router) or the assigned engineer (check an outage).

Execute runs the automated steps and stops at a person step (`waiting_on`); the workflow's
Await step report (a task-token wait with a timeout) checkpoints AWAITING_STEP_REPORT and
emails the person a signed link (purpose step report); the API shows the step (GET decides
nothing) and hands the report to the waiting task (POST, once); Execute records it as the
step's result and carries on after it. "Didn't help", "failed" or no report in time is a
failed step, which fails the ticket as any failed step does. As for approvals and the
confirmation, Step Functions keeps a report exactly-once and the API writes no checkpoint.
See the README section "Person steps".
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from ..domain import notifications
from ..domain.approval_link import STEP_PURPOSE
from ..domain.catalog import load_catalog
from ..domain.checkpoint import Checkpoint
from ..domain.errors import (
    AlreadyReported,
    PlanNotApproved,
    ResolutionStepFailed,
    StepLinkExpired,
    StepLinkInvalid,
    StepReportClosed,
    TaskNoLongerWaiting,
)
from ..domain.execution import ExecutorKind, parse_overrides
from ..domain.models import (
    PersonKind,
    ResolutionStep,
    StepReport,
    StepReportOutcome,
    StepReportRequest,
    StepResult,
    Ticket,
    TicketState,
    utc_now,
    utc_text,
)
from ..domain.task_payloads import ExecuteTask, RequestStepReportTask
from ..ports import Services
from ..settings import Settings
from .checkpoints import checkpoint_after, latest_checkpoint, record_checkpoint
from .signed_links import open_link

_PERSON_KINDS: dict[ExecutorKind, PersonKind] = {ExecutorKind.CUSTOMER: "customer", ExecutorKind.ENGINEER: "engineer"}
_WAITS_FROM = (TicketState.EXECUTING, TicketState.AWAITING_STEP_REPORT)


def person_kind(settings: Settings, action_id: str) -> PersonKind | None:
    """Who carries out `action_id` when person steps are on (the catalog's executors, and `PERSON_STEPS`)."""
    if not settings.person_steps or settings.resolution_executor != "catalog":
        return None
    catalog = load_catalog()
    routes = catalog.executors(parse_overrides(settings.executor_overrides, set(catalog.actions())))
    how = routes.get(action_id)
    return _PERSON_KINDS.get(how.kind) if how is not None else None


def step_link(base_url: str, ticket_id: str, token: str) -> str:
    return f"{base_url}/steps/{ticket_id}?token={quote(token, safe='')}"


def _step_of(latest: Checkpoint, action_id: str) -> ResolutionStep:
    plan = latest.data.approved_plan
    step = next((s for s in plan.steps if s.action_id == action_id), None) if plan else None
    if step is None:
        raise PlanNotApproved(f"Ticket {latest.ticket_id}'s approved plan has no step {action_id}; nobody is asked.")
    return step


# The workflow's side -----------------------------------------------------------------------------------


def request_step_report(services: Services, task: RequestStepReportTask) -> dict[str, str]:
    """Save AWAITING_STEP_REPORT with the task token, and email the person the step and their signed link."""
    settings = services.settings
    ticket, kind = task.ticket, task.kind
    latest = latest_checkpoint(services.checkpoints, ticket)
    if latest.state not in _WAITS_FROM:
        raise PlanNotApproved(f"Ticket {ticket.ticket_id} is {latest.state.value}; no step waits for a person.")
    step = _step_of(latest, task.action_id)
    recipient = ticket.customer_email if kind == "customer" else settings.engineer_email or settings.operator_email
    if not recipient:
        raise PlanNotApproved(f"No engineer address is configured for step {task.action_id}; set ENGINEER_EMAIL.")
    earlier = latest.data.step_request
    again = latest.state is TicketState.AWAITING_STEP_REPORT and earlier is not None
    # A retried attempt (or a resumed run) carries a new task token; the request, its number and deadline stay.
    if again and earlier is not None and earlier.action_id == task.action_id:
        number, requested_at = earlier.number, earlier.requested_at
    else:
        number, requested_at = latest.sequence + 1, utc_now()
    request = StepReportRequest(
        task_token=task.task_token,
        action_id=task.action_id,
        kind=kind,
        recipient=recipient,
        number=number,
        requested_at=requested_at,
        link_expires_at=requested_at + timedelta(seconds=settings.person_step_timeout_seconds),
    )
    digest = hashlib.sha256(task.task_token.encode()).hexdigest()[:16]
    checkpoint = record_checkpoint(
        services.checkpoints,
        ticket,
        TicketState.AWAITING_STEP_REPORT,
        task.checkpoint_key("AWAITING_STEP_REPORT", f"s-{number}", digest),
        after=latest,
        step_request=request,
    )
    assert latest.data.approved_plan is not None
    token = services.signer.issue(
        ticket_id=ticket.ticket_id,
        checkpoint_hash=checkpoint.content_hash,
        plan_hash=latest.data.approved_plan.plan_hash,
        expires_at=request.link_expires_at,
        approver=recipient,
        round=number,
        purpose=STEP_PURPOSE,
    )
    email = notifications.step_request(
        ticket=ticket,
        step=step,
        kind=kind,
        recipient=recipient,
        link=step_link(settings.base_url, ticket.ticket_id, token),
        expires_at=request.link_expires_at,
    )
    return {"message_id": services.mailer.send(email), "checkpoint_hash": checkpoint.content_hash}


def _report_for(asked: StepReportRequest, raw: dict[str, Any]) -> StepReport | None | bool:
    """The report the wait returned for `asked`; False for its timeout; None when it holds neither."""
    if raw.get("Error") == "States.Timeout":
        return False
    try:
        report = StepReport.model_validate(raw)
    except ValidationError:
        return None
    return report if report.number == asked.number and report.action_id == asked.action_id else None


_SAID = {"customer": "The customer", "engineer": "The engineer"}


def record_report(services: Services, task: ExecuteTask, waited: Checkpoint) -> Checkpoint:
    """Execute's first move after Await step report: the step's result from the person's report (or its
    absence). A failed one is recorded, then fails the ticket as any failed step does."""
    asked = waited.data.step_request
    assert asked is not None
    report = _report_for(asked, task.step_report)
    if report is None:
        return waited  # nothing came back for this request (a resumed run): the step is asked again
    status: Literal["succeeded", "failed"] = "failed"
    if report is False:
        detail = (
            f"{_SAID[asked.kind]} did not report on this step within "
            f"{services.settings.person_step_timeout_seconds} seconds (asked at {utc_text(asked.requested_at)})."
        )
        reports = list(waited.data.step_reports)
    else:
        assert isinstance(report, StepReport)
        said = "Done" if report.outcome == "done" else ("Didn't help" if asked.kind == "customer" else "Failed")
        status = "succeeded" if report.outcome == "done" else "failed"
        detail = f"{_SAID[asked.kind]} reported '{said}' at {utc_text(report.reported_at)}."
        if report.note:
            detail += f" Note: {report.note}"
        reports = [*waited.data.step_reports, report]
    result = StepResult(
        action_id=asked.action_id, status=status, detail=detail, finished_at=utc_now(), executor=asked.kind
    )
    checkpoint = record_checkpoint(
        services.checkpoints,
        task.ticket,
        TicketState.EXECUTING,
        task.checkpoint_key("EXECUTING", asked.action_id, f"report-{asked.number}"),
        after=waited,
        step_results=[*waited.data.step_results, result],
        step_reports=reports,
    )
    if status != "succeeded":
        raise ResolutionStepFailed(f"Step {asked.action_id} failed: {detail}")
    return checkpoint


# The person's side (the API) ---------------------------------------------------------------------------


class StepReview(BaseModel):
    """What the step page shows; it decides nothing."""

    ticket: Ticket
    checkpoint: Checkpoint
    step: ResolutionStep
    request: StepReportRequest
    token: str


def _open(services: Services, ticket_id: str, token: str, now: datetime) -> tuple[Ticket, Checkpoint, int, bool]:
    opened = open_link(
        services,
        ticket_id,
        token,
        now,
        purpose=STEP_PURPOSE,
        invalid=StepLinkInvalid(
            "This link is not valid. Use the link from the most recent email about this step, unchanged. "
            "Nothing was changed."
        ),
        expired=StepLinkExpired(
            "This link has expired, so the step no longer waits for a report. Nothing was changed."
        ),
    )
    return opened.ticket, opened.latest, opened.number, opened.running


def _reported(latest: Checkpoint, number: int) -> StepReport | None:
    return next((r for r in latest.data.step_reports if r.number == number), None)


def _already_reported(report: StepReport) -> AlreadyReported:
    said = "done" if report.outcome == "done" else "not done"
    return AlreadyReported(
        f"This step was already reported {said} at {utc_text(report.reported_at)}. Nothing was changed."
    )


def _require_waiting(latest: Checkpoint, number: int, running: bool) -> StepReportRequest:
    """The request this link answers, while it waits; else why not (reported 409, closed 410)."""
    asked = latest.data.step_request
    if latest.state is TicketState.AWAITING_STEP_REPORT and asked is not None and asked.number == number:
        if not running:
            raise StepReportClosed("This ticket's workflow no longer waits for this step. Nothing was changed.")
        return asked
    reported = _reported(latest, number)
    if reported is not None:
        raise _already_reported(reported)
    raise StepReportClosed(
        f"This step no longer waits for a report: the ticket is {latest.state.value}. Nothing was changed."
    )


def review(services: Services, ticket_id: str, token: str) -> StepReview:
    _, latest, number, running = _open(services, ticket_id, token, utc_now())
    asked = _require_waiting(latest, number, running)
    return StepReview(
        ticket=latest.data.ticket,
        checkpoint=latest,
        step=_step_of(latest, asked.action_id),
        request=asked,
        token=token,
    )


def report(services: Services, ticket_id: str, token: str, outcome: StepReportOutcome, note: str) -> StepReport:
    """Hand the person's report to the waiting workflow, once."""
    now = utc_now()
    ticket, latest, number, running = _open(services, ticket_id, token, now)
    asked = _require_waiting(latest, number, running)
    given = StepReport(
        action_id=asked.action_id, outcome=outcome, note=note.strip(), reported_at=now, number=number, kind=asked.kind
    )
    try:
        services.workflow.send_step_report(asked.task_token, given)
    except TaskNoLongerWaiting:
        raise _why_refused(services, ticket, latest, asked) from None
    return given


def _why_refused(
    services: Services, ticket: Ticket, waited: Checkpoint, asked: StepReportRequest
) -> AlreadyReported | StepReportClosed:
    """Step Functions refused the report: someone reported first, or the wait timed out."""
    current = checkpoint_after(services.checkpoints, ticket, waited)
    recorded = _reported(current, asked.number)
    if recorded is not None:
        return _already_reported(recorded)
    if utc_now() >= asked.link_expires_at:
        return StepReportClosed("This step's wait ended without a report before yours arrived. Nothing was changed.")
    return AlreadyReported("This step was already reported a moment ago. Nothing was changed.")
