"""What each workflow task does. Handlers parse the payload and call one of these.

Every step first writes the checkpoint of the state the ticket enters, so a ticket
that fails mid-step still shows where it was. Steps are idempotent per execution:
a retried step finds its own checkpoint and writes nothing twice.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from ..domain import notifications
from ..domain.catalog import load_catalog
from ..domain.checkpoint import Checkpoint, CheckpointData
from ..domain.errors import InvalidPlanEdit, PlanNotApproved, ResolutionStepFailed
from ..domain.models import (
    Analysis,
    ApprovalRequest,
    ApprovalRound,
    Decision,
    FailureReport,
    ResolutionPlan,
    Risk,
    Ticket,
    TicketState,
    utc_now,
)
from ..domain.policy import PolicyRule
from ..domain.review import edited_plan
from ..domain.task_payloads import (
    AnalyzeTask,
    ApprovalTimerTask,
    ApprovalWait,
    CloseTask,
    ClosingReport,
    ExecuteTask,
    ExecutionReport,
    FindResolutionTask,
    RequestApprovalTask,
    RevisePlanTask,
)
from ..ports import Services
from . import person_steps
from .checkpoints import latest_checkpoint, record_checkpoint


def analyze(services: Services, task: AnalyzeTask) -> Analysis:
    written = record_checkpoint(
        services.checkpoints, task.ticket, TicketState.ANALYZING, task.checkpoint_key("ANALYZING")
    )
    from ..agents import analyst  # deferred: only the analyze function runs the analyst

    # A reopened ticket is analysed again with what the customer said when they reopened it (as data).
    follow_ups = written.data.follow_ups()
    if not follow_ups:
        return analyst.analyze(task.ticket, services.language_model, services.settings.model_id)
    return analyst.analyze(task.ticket, services.language_model, services.settings.model_id, follow_ups=follow_ups)


def find_resolution(services: Services, task: FindResolutionTask) -> ResolutionPlan:
    written = record_checkpoint(
        services.checkpoints,
        task.ticket,
        TicketState.FINDING_SOLUTION,
        task.checkpoint_key("FINDING_SOLUTION"),
        analysis=task.analysis,
    )
    from ..agents import planner  # deferred: only the planning functions run the planner

    follow_ups = written.data.follow_ups()
    if not follow_ups:
        return planner.plan(task.ticket, task.analysis, services.language_model, services.settings.model_id)
    return planner.plan(
        task.ticket, task.analysis, services.language_model, services.settings.model_id, follow_ups=follow_ups
    )


def approval_link(base_url: str, ticket_id: str, token: str) -> str:
    return f"{base_url}/approvals/{ticket_id}?token={quote(token, safe='')}"


def _waiting_round(latest: Checkpoint | None, plan: ResolutionPlan) -> ApprovalRequest | None:
    """The approval request of the round that waits for `plan`, when the latest checkpoint is it (a re-entry)."""
    if latest is None or latest.state is not TicketState.AWAITING_APPROVAL or latest.data.decision is not None:
        return None
    approval = latest.data.approval
    if approval is None or latest.data.plan_hash != plan.plan_hash or approval.round != latest.data.current_round:
        return None
    return approval


def _rule(
    services: Services, task: ApprovalTimerTask | RequestApprovalTask, approval: ApprovalRequest | None
) -> PolicyRule:
    """The policy rule of the round: the one recorded when it began, else the first that applies now."""
    policy = services.settings.policy
    recorded = policy.rule_named(approval.rule) if approval is not None and approval.rule else None
    risk = load_catalog().plan_risk(task.plan)
    return recorded or policy.rule_for(task.analysis.category, task.analysis.severity, risk)


def approval_timer(services: Services, task: ApprovalTimerTask) -> ApprovalWait:
    """Before each wait for a decision: how long to wait, and what of the policy's timeline is due now.

    A new round waits until its first reminder or escalation (or the timeout); after each
    timer step the wait is entered again. The policy may approve an all-low-risk plan itself.
    """
    settings = services.settings
    now = utc_now()
    history = services.checkpoints.history(task.ticket.ticket_id, task.ticket.customer_id)
    latest = history[-1] if history else None
    approval = _waiting_round(latest, task.plan)
    rule = _rule(services, task, approval)
    total = settings.approval_timeout_seconds
    timeline = rule.timeline(total)
    if approval is None:
        risk = load_catalog().plan_risk(task.plan)
        if rule.auto_approve_low_risk and risk is Risk.LOW:
            return _approved_by_policy(services, task, latest, rule, now)
        return ApprovalWait(seconds=max(1, timeline[0].at if timeline else total))
    elapsed = (now - approval.requested_at).total_seconds()
    if elapsed >= total - 1:
        return ApprovalWait(seconds=1, expired=True, entry=approval.entries + 1)
    step = timeline[approval.steps_done] if approval.steps_done < len(timeline) else None
    due = step if step is not None and step.at <= elapsed + 1 else None
    following = approval.steps_done + (1 if due else 0)
    next_at = timeline[following].at if following < len(timeline) else total
    return ApprovalWait(
        seconds=max(1, math.ceil(next_at - elapsed)),
        due=due.kind if due else "",
        due_group=due.group if due else "",
        entry=approval.entries + 1,
    )


def _approved_by_policy(
    services: Services, task: ApprovalTimerTask, latest: Checkpoint | None, rule: PolicyRule, now: datetime
) -> ApprovalWait:
    """Record the policy's own approval of an all-low-risk plan (never a person's) for Execute to run."""
    round_number = latest.data.current_round if latest is not None else 1
    by = f"policy:{rule.name}"
    decision = Decision(
        outcome="approved",
        plan_hash=task.plan.plan_hash,
        proposed_plan_hash=task.plan.plan_hash,
        approved_plan=task.plan,
        decided_at=now,
        decided_by=by,
        round=round_number,
        comment=f"Every step is low risk, and the approval policy's rule '{rule.name}' approves such plans itself.",
    )
    record_checkpoint(
        services.checkpoints,
        task.ticket,
        TicketState.AWAITING_APPROVAL,
        task.checkpoint_key("AWAITING_APPROVAL", "policy", f"round-{round_number}"),
        after=latest,
        analysis=task.analysis,
        plan=task.plan,
        plan_hash=task.plan.plan_hash,
        approval=ApprovalRequest(
            task_token="decided-by-policy",
            approver_email=by,
            requested_at=now,
            link_expires_at=now,
            round=round_number,
            approvers=[by],
            rule=rule.name,
            group=rule.group,
            plan_risk=Risk.LOW,
        ),
        decision=decision,
    )
    return ApprovalWait(seconds=1, auto=True, decision=decision)


def _before_entry(history: list[Checkpoint], approval: ApprovalRequest, entry: int) -> ApprovalRequest:
    """The request as it was before wait `entry`, whose checkpoint an earlier attempt of this step wrote.

    A retried attempt (with a new task token) does the entry's reminder or escalation again from there,
    so the step counts once and everyone it concerns hears of it (twice, maybe; never zero times).
    """
    for checkpoint in reversed(history):
        before = checkpoint.data.approval
        if before is not None and approval.same_request(before) and before.entries < entry:
            return before
    return approval


def request_approval(services: Services, task: RequestApprovalTask) -> dict[str, Any]:
    """Save AWAITING_APPROVAL with the task token, and email what the wait asks for.

    The round's first request emails each approver the policy asks a link of their own;
    a later entry (after Approval timer) carries the round on with the new task token and
    does what is due: a reminder to those asked who have not answered, or an escalation
    that asks the next group with links of their own.
    """
    settings = services.settings
    now = utc_now()
    wait = task.wait or ApprovalWait(seconds=settings.approval_timeout_seconds)
    # A retried attempt may carry a new task token; the key tells the attempts apart.
    token_digest = hashlib.sha256(task.task_token.encode()).hexdigest()[:16]
    history = services.checkpoints.history(task.ticket.ticket_id, task.ticket.customer_id)
    latest = history[-1] if history else None
    earlier = _waiting_round(latest, task.plan) if wait.entry > 0 else None
    if earlier is not None and earlier.entries >= wait.entry:
        earlier = _before_entry(history, earlier, wait.entry)
    rule = _rule(services, task, earlier)
    policy = settings.policy
    if earlier is None:
        asked = policy.members(rule.group)
        approval = ApprovalRequest(
            task_token=task.task_token,
            approver_email=asked[0],
            requested_at=now,
            link_expires_at=now + timedelta(seconds=settings.approval_link_ttl_seconds),
            round=latest.data.current_round if latest is not None else 1,
            approvers=asked,
            approvals_needed=rule.approvals,
            rule=rule.name,
            group=rule.group,
            plan_risk=load_catalog().plan_risk(task.plan),
        )
        recipients, kind = asked, "request"
    else:
        approval = earlier.model_copy(update={"task_token": task.task_token, "entries": wait.entry})
        recipients, kind = [], ""
        if wait.due == "remind":
            cast = services.votes.votes(task.ticket.ticket_id, task.ticket.customer_id, approval.round)
            answered = {v.approver for v in approval.own_votes(cast)}
            recipients = [a for a in approval.accepting if a not in answered]
            approval = approval.model_copy(update={"steps_done": approval.steps_done + 1, "reminded_at": now})
            kind = "reminder"
        elif wait.due == "escalate":
            new = [a for a in policy.members(wait.due_group) if a not in approval.asked]
            holders = new if not rule.earlier_links_stay_valid else []
            approval = approval.model_copy(
                update={
                    "steps_done": approval.steps_done + 1,
                    "approvers": [*approval.asked, *new],
                    "escalated_to": [*approval.escalated_to, wait.due_group],
                    "link_holders": holders or approval.link_holders,
                }
            )
            recipients, kind = new, "escalation"
    checkpoint = record_checkpoint(
        services.checkpoints,
        task.ticket,
        TicketState.AWAITING_APPROVAL,
        task.checkpoint_key("AWAITING_APPROVAL", token_digest),
        after=latest,
        analysis=task.analysis,
        plan=task.plan,
        plan_hash=task.plan.plan_hash,
        approval=approval,
    )
    recorded = checkpoint.data.approval
    assert recorded is not None and checkpoint.data.plan_hash is not None
    approval = recorded
    sent = []
    for approver in recipients:
        token = services.signer.issue(
            ticket_id=task.ticket.ticket_id,
            checkpoint_hash=checkpoint.content_hash,
            plan_hash=checkpoint.data.plan_hash,
            expires_at=approval.link_expires_at,
            approver=approver,
            round=approval.round,
        )
        email = notifications.approval_request(
            ticket=task.ticket,
            analysis=task.analysis,
            plan=task.plan,
            approver=approver,
            link=approval_link(settings.base_url, task.ticket.ticket_id, token),
            expires_at=approval.link_expires_at,
            round_number=approval.round,
            max_rounds=settings.max_approval_rounds,
            earlier=checkpoint.data.rounds,
            approvals_needed=approval.approvals_needed,
            asked=approval.asked,
            reason=kind,
        )
        sent.append(services.mailer.send(email))
    return {"message_ids": sent, "checkpoint_hash": checkpoint.content_hash}


def execute_plan(services: Services, task: ExecuteTask) -> ExecutionReport:
    """Run exactly the approved plan (as the approver edited it), step by step, recording each outcome."""
    executor = services.executor
    ticket, decision = task.ticket, task.decision
    if decision.outcome != "approved":
        raise PlanNotApproved(f"Ticket {ticket.ticket_id} was not approved; nothing runs.")
    latest = latest_checkpoint(services.checkpoints, ticket)
    plan = _plan_to_run(ticket, latest, decision)
    if latest.state is TicketState.COMPLETED:
        return ExecutionReport(
            plan_hash=decision.plan_hash,
            executor=executor.name,
            step_results=latest.data.step_results,
            completed_now=False,
        )
    # A resumed ticket that failed after its decision continues under that same recorded approval.
    resumed = latest.state is TicketState.FAILED and latest.data.decision == decision
    runnable = (TicketState.AWAITING_APPROVAL, TicketState.EXECUTING, TicketState.AWAITING_STEP_REPORT)
    if latest.state not in runnable and not resumed:
        raise PlanNotApproved(f"Ticket {ticket.ticket_id} is {latest.state.value}, not ready to execute.")

    if latest.data.decision == decision and latest.state is not TicketState.AWAITING_APPROVAL:
        checkpoint = latest  # a retried or resumed attempt carries on where the last one stopped
    else:
        # The customer hears which steps will run before the first is recorded (at least once).
        services.mailer.send(notifications.plan_approved_notice(ticket=ticket, plan=plan))
        checkpoint = record_checkpoint(
            services.checkpoints,
            ticket,
            TicketState.EXECUTING,
            task.checkpoint_key("EXECUTING"),
            after=latest,
            decision=decision,
            approved_plan=plan,
            rounds=closed_rounds(latest.data, decision),
        )
    if checkpoint.state is TicketState.AWAITING_STEP_REPORT:
        # Back from Await step report: the person's report (or the wait's timeout) is the step's result.
        checkpoint = person_steps.record_report(services, task, checkpoint)
    results = list(checkpoint.data.step_results)
    done = checkpoint.data.succeeded_actions()
    for action in plan.steps:
        if action.action_id in done:
            continue
        person = person_steps.person_kind(services.settings, action.action_id)
        if person is not None:
            # A person carries this step out: the workflow asks them and comes back here with their report.
            return ExecutionReport(
                plan_hash=decision.plan_hash,
                executor=executor.name,
                step_results=results,
                completed_now=False,
                waiting_on=action.action_id,
                waiting_kind=person,
            )
        result = executor.run(ticket, action)
        results.append(result)
        checkpoint = record_checkpoint(
            services.checkpoints,
            ticket,
            TicketState.EXECUTING,
            task.checkpoint_key("EXECUTING", action.action_id),
            after=checkpoint,
            step_results=results,
        )
        if result.status != "succeeded":
            raise ResolutionStepFailed(f"Step {action.action_id} failed: {result.detail}")
    # Tell the customer before the final checkpoint: a retry after a failed send resends (at least once)
    # instead of finding COMPLETED and never telling them.
    services.mailer.send(notifications.completion_notice(ticket=ticket, plan=plan, results=results))
    record_checkpoint(
        services.checkpoints,
        ticket,
        TicketState.COMPLETED,
        task.checkpoint_key("COMPLETED"),
        after=checkpoint,
        step_results=results,
    )
    return ExecutionReport(plan_hash=decision.plan_hash, executor=executor.name, step_results=results)


def _plan_to_run(ticket: Ticket, latest: Checkpoint, decision: Decision) -> ResolutionPlan:
    """The plan the decision approved, once it is shown to be the round's proposal as the rules allow it edited."""
    proposed = latest.data.plan
    refused = f"The plan in ticket {ticket.ticket_id}'s latest checkpoint is not the approved plan; nothing runs."
    shown = decision.shown_plan_hash
    if proposed is None or proposed.plan_hash != shown or latest.data.plan_hash != shown:
        raise PlanNotApproved(refused)
    catalog = load_catalog()
    plan = decision.approved_plan or proposed
    if plan.plan_hash != decision.plan_hash:
        raise PlanNotApproved(refused)
    notes = {s.action_id: s.reviewer_note for s in plan.steps if s.reviewer_note}
    try:
        allowed = edited_plan(catalog, proposed, plan.action_ids, notes)
    except InvalidPlanEdit as broken:
        raise PlanNotApproved(f"The approved plan breaks a plan rule: {broken.message} Nothing runs.") from None
    if allowed.plan_hash != plan.plan_hash:
        raise PlanNotApproved(refused)
    return plan


def closed_rounds(data: CheckpointData, decision: Decision) -> list[ApprovalRound]:
    """The ticket's review rounds with the round `decision` closed (once, whatever the retries)."""
    if any(r.decision == decision for r in data.rounds) or data.plan is None or data.approval is None:
        return list(data.rounds)
    closed = ApprovalRound(
        number=data.approval.round,
        proposed_plan=data.plan,
        approver_email=data.approval.approver_email,
        requested_at=data.approval.requested_at,
        decision=decision,
    )
    return [*data.rounds, closed]


def revise_plan(services: Services, task: RevisePlanTask) -> ResolutionPlan:
    """Changes were requested: record the closed round, then propose the next round's plan."""
    ticket, decision = task.ticket, task.decision
    if decision.outcome != "changes_requested":
        raise PlanNotApproved(f"Ticket {ticket.ticket_id}: no changes were requested; nothing to revise.")
    if decision.round >= services.settings.max_approval_rounds:
        raise PlanNotApproved(
            f"Ticket {ticket.ticket_id} had its last review round ({decision.round}); it cannot be sent back again."
        )
    latest = latest_checkpoint(services.checkpoints, ticket)
    record_checkpoint(
        services.checkpoints,
        ticket,
        TicketState.FINDING_SOLUTION,
        task.checkpoint_key("FINDING_SOLUTION", f"round-{decision.round + 1}"),
        after=latest,
        rounds=closed_rounds(latest.data, decision),
        approval=None,
        decision=None,
    )
    from ..agents import planner

    return planner.revise(
        ticket, task.analysis, task.plan, decision, services.language_model, services.settings.model_id
    )


def close_ticket(services: Services, task: CloseTask) -> ClosingReport:
    """End a ticket as REJECTED, EXPIRED or FAILED, and tell the people concerned."""
    settings = services.settings
    ticket = task.ticket
    state = TicketState(task.outcome)
    key = task.checkpoint_key(state.value)
    if state is TicketState.REJECTED:
        if task.decision is None:
            raise ValueError("a rejection needs the decision")
        history = services.checkpoints.history(ticket.ticket_id, ticket.customer_id)
        latest = history[-1] if history else None
        rounds = closed_rounds(latest.data, task.decision) if latest is not None else []
        record_checkpoint(services.checkpoints, ticket, state, key, after=latest, decision=task.decision, rounds=rounds)
        email = notifications.rejection_notice(ticket=ticket, decision=task.decision)
    elif state is TicketState.EXPIRED:
        record_checkpoint(services.checkpoints, ticket, state, key)
        # The customer hears that nothing ran; a retry after a failed send may tell them twice, never zero times.
        services.mailer.send(notifications.expiry_customer_notice(ticket=ticket))
        recipients = tuple(dict.fromkeys(r for r in (settings.approver_email, settings.operator_email) if r))
        email = notifications.expiry_notice(ticket=ticket, recipients=recipients)
    else:
        history = services.checkpoints.history(ticket.ticket_id, ticket.customer_id)
        failed_in = history[-1].state if history else None
        error = task.error.Error if task.error else "Unknown"
        cause = (task.error.Cause if task.error else "")[:2000]
        failure = FailureReport(error=error, cause=cause, failed_in=failed_in)
        decision = task.decision_made()
        recorded: dict[str, Any] = {"failure": failure, **({"decision": decision} if decision else {})}
        record_checkpoint(services.checkpoints, ticket, state, key, after=history[-1] if history else None, **recorded)
        email = notifications.failure_notice(ticket=ticket, failure=failure, operator=settings.operator_email)
    services.mailer.send(email)
    return ClosingReport(state=state.value, notified=list(email.to))
