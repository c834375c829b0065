"""Deciding through a signed link (`logic.approvals`): what a valid signature alone does not buy.

The workflow is the arbiter of "once": the fake accepts one result per task token, as
Step Functions does. The API never writes a checkpoint; the next workflow step does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from tests.fakes import FakeServices, fake_settings
from tests.journey import TICKET, await_approval, decision, latest, request_approval_again, task
from ticketing.domain.checkpoint import Checkpoint
from ticketing.domain.errors import (
    AlreadyDecided,
    ApprovalExpired,
    ApprovalLinkExpired,
    ApprovalLinkInvalid,
    ApprovalWindowClosed,
)
from ticketing.domain.models import TicketState
from ticketing.domain.review import ReviewRequest
from ticketing.domain.task_payloads import CloseTask, ExecuteTask
from ticketing.logic import approvals, checkpoints, workflow_tasks

APPROVE = ReviewRequest(outcome="approved")
REJECT = ReviewRequest(outcome="rejected", reason="Not the right fix.")


@pytest.fixture
def services() -> FakeServices:
    return FakeServices()


@pytest.fixture
def waiting(services: FakeServices) -> Checkpoint:
    """The ticket's run is waiting for a decision on task token `task-token-1`."""
    return await_approval(services, task_token="task-token-1")


def link(services: FakeServices, checkpoint: Checkpoint, **changes: Any) -> str:
    """A token signed with the service's key for `checkpoint`, with `changes` to its claims."""
    claims: dict[str, Any] = {
        "ticket_id": TICKET.ticket_id,
        "checkpoint_hash": checkpoint.content_hash,
        "plan_hash": checkpoint.data.plan_hash,
        "expires_at": datetime.now(UTC) + timedelta(hours=1),
    }
    return str(services.signer.issue(**{**claims, **changes}))


def test_a_valid_link_sends_the_decision_for_the_checkpoints_plan_and_writes_no_checkpoint(
    services: FakeServices, waiting: Checkpoint
) -> None:
    writes = services.checkpoints.appends
    made = approvals.decide(
        services, TICKET.ticket_id, link(services, waiting), ReviewRequest(outcome="approved", comment="ok")
    ).decision
    assert services.workflow.decisions == [("task-token-1", made)]
    assert (made.outcome, made.plan_hash, made.decided_by, made.comment) == (
        "approved",
        waiting.data.plan_hash,
        "approver@example.com",
        "ok",
    )
    assert services.checkpoints.appends == writes


def test_reviewing_shows_the_waiting_plan_and_decides_nothing(services: FakeServices, waiting: Checkpoint) -> None:
    token = link(services, waiting)
    review = approvals.review(services, TICKET.ticket_id, token)
    assert (review.ticket, review.checkpoint, review.token) == (TICKET, waiting, token)
    assert services.workflow.decisions == []


def test_a_signed_token_for_another_plan_is_refused(services: FakeServices, waiting: Checkpoint) -> None:
    with pytest.raises(ApprovalLinkInvalid):
        approvals.decide(services, TICKET.ticket_id, link(services, waiting, plan_hash="0" * 64), APPROVE)
    assert services.workflow.decisions == []


def test_a_link_replaced_by_a_newer_request_is_gone_and_the_newer_one_decides(
    services: FakeServices, waiting: Checkpoint
) -> None:
    old = link(services, waiting)
    request_approval_again(services, "task-token-2")
    with pytest.raises(ApprovalWindowClosed, match="newer approval request"):
        approvals.decide(services, TICKET.ticket_id, old, APPROVE)
    assert services.workflow.decisions == []
    approvals.decide(services, TICKET.ticket_id, link(services, latest(services)), APPROVE)
    assert [token for token, _ in services.workflow.decisions] == ["task-token-2"]


def test_an_expired_link_is_refused_by_review_and_decide_and_sends_nothing(
    services: FakeServices, waiting: Checkpoint
) -> None:
    expired = link(services, waiting, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(ApprovalLinkExpired):
        approvals.review(services, TICKET.ticket_id, expired)
    with pytest.raises(ApprovalLinkExpired):
        approvals.decide(services, TICKET.ticket_id, expired, APPROVE)
    assert services.workflow.decisions == []


def test_a_link_for_a_workflow_that_stopped_is_closed(services: FakeServices, waiting: Checkpoint) -> None:
    services.workflow.stop(TICKET.ticket_id, "ABORTED")
    with pytest.raises(ApprovalWindowClosed, match="no longer waiting"):
        approvals.decide(services, TICKET.ticket_id, link(services, waiting), APPROVE)
    assert services.workflow.decisions == []


def test_after_the_request_expired_the_link_says_so(services: FakeServices, waiting: Checkpoint) -> None:
    workflow_tasks.close_ticket(services, task(CloseTask, outcome="EXPIRED"))
    with pytest.raises(ApprovalExpired, match="expired before anyone decided"):
        approvals.decide(services, TICKET.ticket_id, link(services, waiting), APPROVE)
    assert services.workflow.decisions == []


def test_a_decided_ticket_says_when_and_by_whom(services: FakeServices, waiting: Checkpoint) -> None:
    rejected = decision(waiting, "rejected", decided_at=datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    workflow_tasks.close_ticket(services, task(CloseTask, outcome="REJECTED", decision=rejected))
    with pytest.raises(AlreadyDecided, match="already rejected at 2026-11-25 10:00:00 UTC by approver@example.com"):
        approvals.decide(services, TICKET.ticket_id, link(services, waiting), APPROVE)
    assert services.workflow.decisions == []


def test_the_click_that_lost_the_race_names_the_winners_decision_once_the_next_step_records_it(
    services: FakeServices, waiting: Checkpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = link(services, waiting)
    won = approvals.decide(services, TICKET.ticket_id, token, APPROVE).decision

    def execute_runs_meanwhile(_: float) -> None:
        if latest(services).state is TicketState.AWAITING_APPROVAL:
            workflow_tasks.execute_plan(services, task(ExecuteTask, decision=won))

    monkeypatch.setattr(checkpoints, "time", SimpleNamespace(sleep=execute_runs_meanwhile))
    with pytest.raises(AlreadyDecided, match="already approved at .* by approver@example.com") as lost:
        approvals.decide(services, TICKET.ticket_id, token, REJECT)
    assert lost.value.outcome == "approved" and lost.value.decided_at == won.decided_at
    assert services.workflow.decisions == [("task-token-1", won)]


def test_a_closed_task_with_no_decision_recorded_yet_is_already_decided_after_a_short_wait(
    services: FakeServices, waiting: Checkpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(checkpoints, "time", SimpleNamespace(sleep=pauses.append))
    services.workflow.closed_tokens.add("task-token-1")  # another click's result was accepted first
    with pytest.raises(AlreadyDecided, match="already answered a moment ago"):
        approvals.decide(services, TICKET.ticket_id, link(services, waiting), APPROVE)
    assert 0 < sum(pauses) <= 2  # long enough for the next step to record it, short for the person clicking
    assert latest(services) == waiting and services.workflow.decisions == []


def test_a_closed_task_whose_run_stopped_meanwhile_is_closed_not_decided(
    services: FakeServices, waiting: Checkpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        checkpoints, "time", SimpleNamespace(sleep=lambda _: services.workflow.stop(TICKET.ticket_id, "ABORTED"))
    )
    services.workflow.closed_tokens.add("task-token-1")
    with pytest.raises(ApprovalWindowClosed, match="closed before the decision arrived"):
        approvals.decide(services, TICKET.ticket_id, link(services, waiting), APPROVE)


def test_a_closed_task_past_the_wait_deadline_is_expired_not_already_decided(monkeypatch: pytest.MonkeyPatch) -> None:
    # Step Functions says TaskTimedOut to a late click and to the loser of a race alike; the deadline tells them apart.
    services = FakeServices(settings=fake_settings(APPROVAL_TIMEOUT_SECONDS=60))
    waiting = await_approval(services)
    assert waiting.data.approval is not None
    later = waiting.data.approval.requested_at + timedelta(seconds=61)
    monkeypatch.setattr(approvals, "utc_now", lambda: later)
    monkeypatch.setattr(checkpoints, "time", SimpleNamespace(sleep=lambda _: None))
    services.workflow.closed_tokens.add("task-token-1")  # the wait timed out
    with pytest.raises(ApprovalExpired, match="expired before anyone decided"):
        approvals.decide(
            services, TICKET.ticket_id, link(services, waiting, expires_at=later + timedelta(hours=1)), APPROVE
        )
    assert latest(services) == waiting and services.workflow.decisions == []
