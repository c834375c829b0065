"""What each workflow step does. Handlers parse the event and call one of these.

Every step first writes the checkpoint of the state the ticket enters, so a ticket
that fails mid-step still shows where it was. Steps are idempotent per execution:
a retried step finds its own checkpoint and writes nothing twice.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from ..agents import analyst, planner
from ..domain import notifications
from ..domain.catalog import load_catalog
from ..domain.errors import PlanNotApproved, ResolutionStepFailed
from ..domain.executors import ResolutionExecutor, executor_named
from ..domain.models import (
    Analysis,
    ApprovalRequest,
    FailureReport,
    ResolutionPlan,
    TicketState,
    utc_now,
)
from ..domain.payloads import (
    AnalyzeInput,
    CloseInput,
    ClosingReport,
    ExecuteInput,
    ExecutionReport,
    FindResolutionInput,
    RequestApprovalInput,
)
from ..wiring import Services


def analyze(services: Services, step: AnalyzeInput) -> Analysis:
    services.checkpoints.advance(step.ticket, TicketState.ANALYZING, step.step_key("ANALYZING"))
    return analyst.analyze(step.ticket, services.language_model, services.settings.model_id)


def find_resolution(services: Services, step: FindResolutionInput) -> ResolutionPlan:
    services.checkpoints.advance(
        step.ticket, TicketState.FINDING_SOLUTION, step.step_key("FINDING_SOLUTION"), analysis=step.analysis
    )
    return planner.plan(step.ticket, step.analysis, services.language_model, services.settings.model_id)


def approval_link(base_url: str, ticket_id: str, token: str) -> str:
    return f"{base_url}/approvals/{ticket_id}?token={quote(token, safe='')}"


def request_approval(services: Services, step: RequestApprovalInput) -> dict[str, str]:
    """Save AWAITING_APPROVAL (with the task token) and email the approver a signed link."""
    settings = services.settings
    now = utc_now()
    expires_at = now + timedelta(seconds=settings.approval_link_ttl_seconds)
    # A retried attempt may carry a new task token; the key tells the attempts apart.
    token_digest = hashlib.sha256(step.task_token.encode()).hexdigest()[:16]
    checkpoint = services.checkpoints.advance(
        step.ticket,
        TicketState.AWAITING_APPROVAL,
        step.step_key("AWAITING_APPROVAL", token_digest),
        analysis=step.analysis,
        plan=step.plan,
        plan_hash=step.plan.plan_hash,
        approval=ApprovalRequest(
            task_token=step.task_token,
            approver_email=settings.approver_email,
            requested_at=now,
            link_expires_at=expires_at,
        ),
    )
    approval = checkpoint.data.approval
    assert approval is not None and checkpoint.data.plan_hash is not None
    token = services.signer.issue(
        ticket_id=step.ticket.ticket_id,
        checkpoint_hash=checkpoint.content_hash,
        plan_hash=checkpoint.data.plan_hash,
        expires_at=approval.link_expires_at,
    )
    email = notifications.approval_request(
        ticket=step.ticket,
        analysis=step.analysis,
        plan=step.plan,
        approver=settings.approver_email,
        link=approval_link(settings.base_url, step.ticket.ticket_id, token),
        expires_at=approval.link_expires_at,
    )
    message_id = services.mailer.send(email)
    return {"message_id": message_id, "checkpoint_hash": checkpoint.content_hash}


def execute_plan(services: Services, step: ExecuteInput, executor: ResolutionExecutor | None = None) -> ExecutionReport:
    """Run exactly the approved plan, step by step, recording each outcome."""
    executor = executor or executor_named(services.settings.resolution_executor)
    ticket = step.ticket
    latest = services.checkpoints.latest(ticket.ticket_id, ticket.customer_id)
    plan = latest.data.plan
    approved_hash = step.decision.plan_hash
    if step.decision.outcome != "approved":
        raise PlanNotApproved(f"Ticket {ticket.ticket_id} was not approved; nothing runs.")
    if plan is None or plan.plan_hash != approved_hash or latest.data.plan_hash != approved_hash:
        raise PlanNotApproved(
            f"The plan in ticket {ticket.ticket_id}'s latest checkpoint is not the approved plan; nothing runs."
        )
    unknown = load_catalog().unknown_actions(plan)
    if unknown:
        raise PlanNotApproved(f"The plan names actions outside the resolution catalog: {', '.join(unknown)}.")
    if latest.state is TicketState.COMPLETED:
        return ExecutionReport(
            plan_hash=approved_hash,
            executor=executor.name,
            step_results=latest.data.step_results,
            completed_now=False,
        )
    # A resumed ticket that failed after its decision continues under that same recorded approval.
    resumed = latest.state is TicketState.FAILED and latest.data.decision == step.decision
    if latest.state not in (TicketState.AWAITING_APPROVAL, TicketState.EXECUTING) and not resumed:
        raise PlanNotApproved(f"Ticket {ticket.ticket_id} is {latest.state.value}, not ready to execute.")

    if latest.state is TicketState.EXECUTING and latest.data.decision == step.decision:
        checkpoint = latest  # a retried attempt carries on where the last one stopped
    else:
        checkpoint = services.checkpoints.advance(
            ticket, TicketState.EXECUTING, step.step_key("EXECUTING"), after=latest, decision=step.decision
        )
    results = list(checkpoint.data.step_results)
    done = checkpoint.data.succeeded_actions()
    for action in plan.steps:
        if action.action_id in done:
            continue
        result = executor.run(ticket, action)
        results.append(result)
        checkpoint = services.checkpoints.advance(
            ticket,
            TicketState.EXECUTING,
            step.step_key("EXECUTING", action.action_id),
            after=checkpoint,
            step_results=results,
        )
        if result.status != "succeeded":
            raise ResolutionStepFailed(f"Step {action.action_id} failed: {result.detail}")
    # Tell the customer before the final checkpoint: a retry after a failed send resends (at least once)
    # instead of finding COMPLETED and never telling them.
    services.mailer.send(notifications.completion_notice(ticket=ticket, plan=plan))
    services.checkpoints.advance(
        ticket, TicketState.COMPLETED, step.step_key("COMPLETED"), after=checkpoint, step_results=results
    )
    return ExecutionReport(plan_hash=approved_hash, executor=executor.name, step_results=results)


def close_ticket(services: Services, step: CloseInput) -> ClosingReport:
    """End a ticket as REJECTED, EXPIRED or FAILED, and tell the people concerned."""
    settings = services.settings
    ticket = step.ticket
    state = TicketState(step.outcome)
    key = step.step_key(state.value)
    if state is TicketState.REJECTED:
        if step.decision is None:
            raise ValueError("a rejection needs the decision")
        services.checkpoints.advance(ticket, state, key, decision=step.decision)
        email = notifications.rejection_notice(ticket=ticket, decision=step.decision)
    elif state is TicketState.EXPIRED:
        services.checkpoints.advance(ticket, state, key)
        # The customer hears that nothing ran; a retry after a failed send may tell them twice, never zero times.
        services.mailer.send(notifications.expiry_customer_notice(ticket=ticket))
        recipients = tuple(dict.fromkeys(r for r in (settings.approver_email, settings.operator_email) if r))
        email = notifications.expiry_notice(ticket=ticket, recipients=recipients)
    else:
        history = services.checkpoints.history(ticket.ticket_id, ticket.customer_id)
        failed_in = history[-1].state if history else None
        error = step.error.Error if step.error else "Unknown"
        cause = (step.error.Cause if step.error else "")[:2000]
        failure = FailureReport(error=error, cause=cause, failed_in=failed_in)
        decision = step.decision_made()
        recorded: dict[str, Any] = {"failure": failure, **({"decision": decision} if decision else {})}
        services.checkpoints.advance(ticket, state, key, after=history[-1] if history else None, **recorded)
        email = notifications.failure_notice(ticket=ticket, failure=failure, operator=settings.operator_email)
    services.mailer.send(email)
    return ClosingReport(state=state.value, notified=list(email.to))
