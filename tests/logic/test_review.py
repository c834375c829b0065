"""The approver's review on the fakes: approve with edits, request changes over rounds, reject with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from tests.fakes import FakeServices, fake_settings
from tests.journey import TICKET, await_approval, latest, request_approval_again, signed_link, task
from ticketing.domain.checkpoint import Checkpoint
from ticketing.domain.conversation import brief
from ticketing.domain.errors import (
    AlreadyDecided,
    ApprovalWindowClosed,
    InvalidPlanEdit,
    PlanNotApproved,
    RevisionRefused,
)
from ticketing.domain.models import Decision, TicketState
from ticketing.domain.notifications import NEUTRAL_REJECTION
from ticketing.domain.review import ReviewRequest
from ticketing.domain.task_payloads import CloseTask, ExecuteTask, RevisePlanTask
from ticketing.logic import approvals, checkpoints, workflow_tasks

CHECK, RESTART, RESET, OUTAGE = (
    "network.check-connection-status",
    "network.restart-router",
    "network.reset-adapter",
    "network.check-isp-outage",
)


@pytest.fixture
def services() -> FakeServices:
    return FakeServices()


@pytest.fixture
def waiting(services: FakeServices) -> Checkpoint:
    return await_approval(services)


def link(services: FakeServices, checkpoint: Checkpoint) -> str:
    return signed_link(services, checkpoint)


def decide(services: FakeServices, checkpoint: Checkpoint, **request: Any) -> Decision:
    made = approvals.decide(services, TICKET.ticket_id, link(services, checkpoint), ReviewRequest(**request)).decision
    assert made is not None, "one approver decides at once"
    return made


def execute(services: FakeServices, made: Decision) -> None:
    workflow_tasks.execute_plan(services, task(ExecuteTask, decision=made))


def revise(services: FakeServices, made: Decision) -> None:
    """Revise plan, then Await approval again with the new plan, as the state machine loops."""
    data = latest(services).data
    plan = workflow_tasks.revise_plan(
        services, task(RevisePlanTask, analysis=data.analysis, plan=data.plan, decision=made)
    )
    request_approval_again(services, f"task-token-{made.round + 1}", analysis=data.analysis, plan=plan)


def test_approve_with_edits_runs_exactly_the_edited_plan_in_its_order(services, waiting):
    made = decide(services, waiting, outcome="approved", steps=[RESET, CHECK, "general.gather-details"])
    assert made.approved_plan is not None and made.plan_hash == made.approved_plan.plan_hash
    assert made.changes.dropped == [RESTART, OUTAGE] and made.changes.added == ["general.gather-details"]
    execute(services, made)
    final = latest(services)
    assert final.state is TicketState.COMPLETED
    assert [r.action_id for r in final.data.step_results] == [RESET, CHECK, "general.gather-details"]
    assert final.data.plan == waiting.data.plan and final.data.approved_plan == made.approved_plan
    (closed,) = final.data.rounds
    assert (closed.number, closed.decision, closed.proposed_plan) == (1, made, waiting.data.plan)
    approved_mail, completed_mail = services.mailer.of_kind("approved"), services.mailer.of_kind("completed")
    assert len(approved_mail) == 1 and "Restart the router" not in approved_mail[0].text
    assert approved_mail[0].text.index("Reset the network adapter") < approved_mail[0].text.index("Check the conn")
    assert completed_mail[0].text.count("succeeded") == 3


def test_the_recovery_answer_knows_what_the_approver_changed(services, waiting):
    execute(services, decide(services, waiting, outcome="approved", steps=[CHECK, RESET]))
    final = latest(services)
    said = brief(TICKET, final, "COMPLETED").where
    assert "ran all 2 steps" in said and "dropped Restart the router or modem, Check for a provider outage" in said


def test_execute_refuses_an_approved_plan_that_breaks_the_rules_even_with_a_matching_hash(services, waiting):
    made = decide(services, waiting, outcome="approved", steps=[CHECK])
    plan = made.approved_plan
    assert plan is not None
    foreign = plan.model_copy(
        update={"steps": [*plan.steps, plan.steps[0].model_copy(update={"action_id": "account.unlock-account"})]}
    )
    forged = made.model_copy(update={"approved_plan": foreign, "plan_hash": foreign.plan_hash})
    with pytest.raises(PlanNotApproved, match="breaks a plan rule"):
        execute(services, forged)
    assert latest(services) == waiting and services.mailer.of_kind("approved") == []


def test_execute_refuses_a_decision_made_on_another_rounds_plan(services, waiting):
    made = decide(services, waiting, outcome="approved")
    elsewhere = made.model_copy(update={"proposed_plan_hash": "0" * 64})
    with pytest.raises(PlanNotApproved):
        execute(services, elsewhere)


def test_an_invalid_edit_is_refused_and_sends_nothing(services, waiting):
    with pytest.raises(InvalidPlanEdit, match="not allowed for a network ticket"):
        decide(services, waiting, outcome="approved", steps=["account.unlock-account"])
    assert services.workflow.decisions == [] and latest(services) == waiting


def test_request_changes_opens_a_new_round_with_a_new_link_and_the_old_link_is_gone(services, waiting):
    sent_back = decide(
        services, waiting, outcome="changes_requested", feedback="Skip the ISP check", steps=[CHECK, RESTART]
    )
    assert (sent_back.outcome, sent_back.requested_steps, sent_back.round) == ("changes_requested", [CHECK, RESTART], 1)
    revise(services, sent_back)
    second = latest(services)
    assert second.state is TicketState.AWAITING_APPROVAL and second.data.approval.round == 2
    # Without a model the next round proposes the approver's own edit, and says why.
    assert second.data.plan.action_ids == [CHECK, RESTART]
    assert "edited steps" in second.data.plan.provenance.fallback_reason
    (closed,) = second.data.rounds
    assert closed.decision.feedback == "Skip the ISP check"
    mails = services.mailer.of_kind("approval-request")
    assert len(mails) == 2 and "round 2 of 3" in mails[1].subject and "Skip the ISP check" in mails[1].text
    with pytest.raises(ApprovalWindowClosed, match="most recent email"):
        decide(services, waiting, outcome="approved")
    final = decide(services, second, outcome="approved")
    execute(services, final)
    assert [r.action_id for r in latest(services).data.step_results] == [CHECK, RESTART]
    assert [r.decision.outcome for r in latest(services).data.rounds] == ["changes_requested", "approved"]


def test_while_the_plan_is_being_revised_the_old_link_says_a_new_email_comes(services, waiting):
    sent_back = decide(services, waiting, outcome="changes_requested", feedback="More detail")
    data = latest(services).data
    workflow_tasks.revise_plan(
        services, task(RevisePlanTask, analysis=data.analysis, plan=data.plan, decision=sent_back)
    )
    with pytest.raises(ApprovalWindowClosed, match="sent back for changes.*new email"):
        decide(services, waiting, outcome="approved")


def test_the_click_that_lost_to_a_request_for_changes_is_told_so(services, waiting, monkeypatch):
    sent_back = decide(services, waiting, outcome="changes_requested", feedback="More detail")
    data = latest(services).data
    revision = task(RevisePlanTask, analysis=data.analysis, plan=data.plan, decision=sent_back)
    # The loser's click passed the checks before the winner's was recorded; the Revise step records
    # it while the loser waits to say who decided.
    monkeypatch.setattr(
        checkpoints, "time", SimpleNamespace(sleep=lambda _: workflow_tasks.revise_plan(services, revision))
    )
    with pytest.raises(AlreadyDecided, match="sent back for changes"):
        decide(services, waiting, outcome="approved")
    assert len(services.workflow.decisions) == 1


def test_the_last_round_cannot_be_sent_back(services):
    services.settings = fake_settings(MAX_APPROVAL_ROUNDS=2)
    first = await_approval(services)
    revise(services, decide(services, first, outcome="changes_requested", feedback="again"))
    second = latest(services)
    with pytest.raises(RevisionRefused, match="round 2 of 2"):
        decide(services, second, outcome="changes_requested", feedback="and again")
    assert len(services.workflow.decisions) == 1 and latest(services) == second
    assert approvals.review(services, TICKET.ticket_id, link(services, second)).can_revise is False


def test_revise_plan_refuses_past_the_round_limit(services, waiting):
    services.settings = fake_settings(MAX_APPROVAL_ROUNDS=1)
    made = Decision(
        outcome="changes_requested",
        plan_hash=waiting.data.plan_hash or "",
        decided_at=datetime.now(UTC),
        decided_by="approver@example.com",
        feedback="x",
    )
    data = waiting.data
    with pytest.raises(PlanNotApproved, match="last review round"):
        workflow_tasks.revise_plan(
            services, task(RevisePlanTask, analysis=data.analysis, plan=data.plan, decision=made)
        )


@pytest.mark.parametrize("notify", [True, False])
def test_a_rejection_reason_reaches_the_customer_only_when_asked(services, waiting, notify):
    made = decide(services, waiting, outcome="rejected", reason="Needs a site visit", notify_customer=notify)
    workflow_tasks.close_ticket(services, task(CloseTask, outcome="REJECTED", decision=made))
    (mail,) = services.mailer.of_kind("rejected")
    assert ("Needs a site visit" in mail.text) is notify and (NEUTRAL_REJECTION in mail.text) is not notify
    final = latest(services)
    assert final.state is TicketState.REJECTED and final.data.rounds[-1].decision.reason == "Needs a site visit"
    assert ("Needs a site visit" in brief(TICKET, final, "REJECTED").where) is notify
