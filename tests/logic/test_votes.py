"""N-of-group approvals on the fakes: votes per approver, durable before the answer, one resume."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from tests.conftest import make_ticket
from tests.fakes import FakeServices, fake_settings
from tests.journey import await_approval, latest, signed_link, task
from ticketing.domain.checkpoint import Checkpoint
from ticketing.domain.errors import AlreadyDecided, ApprovalLinkInvalid
from ticketing.domain.policy import parse_policy
from ticketing.domain.review import ReviewRequest
from ticketing.domain.task_payloads import ExecuteTask
from ticketing.logic import approvals, checkpoints, workflow_tasks

EXAMPLE = parse_policy(yaml.safe_load((Path(__file__).resolve().parents[2] / "policies" / "example.yaml").read_text()))
ADMINS = EXAMPLE.members("account-admins")
ACCOUNT = make_ticket("I can't log in to the app; it says my password is wrong.", ticket_id="tkt-20261125-00000000acc0")
NETWORK = make_ticket(ticket_id="tkt-20261125-00000000aa01")
APPROVE = ReviewRequest(outcome="approved")


@pytest.fixture
def services() -> FakeServices:
    return FakeServices(settings=fake_settings(APPROVAL_POLICY=EXAMPLE.model_dump_json()))


def vote(services: FakeServices, checkpoint: Checkpoint, approver: str, request: ReviewRequest = APPROVE) -> Any:
    return approvals.decide(services, checkpoint.ticket_id, signed_link(services, checkpoint, approver), request)


def test_an_account_ticket_asks_each_admin_with_a_link_of_their_own(services):
    waiting = await_approval(services, ACCOUNT)
    approval = waiting.data.approval
    assert (approval.approvers, approval.approvals_needed, approval.group) == (ADMINS, 2, "account-admins")
    assert approval.plan_risk == "high"
    mails = services.mailer.of_kind("approval-request")
    assert [m.to for m in mails] == [(a,) for a in ADMINS]
    assert all("needs 2 approvals" in m.text for m in mails)
    tokens = [m.text.split("token=")[1].split()[0] for m in mails]
    assert len(set(tokens)) == 2


def test_one_approval_of_two_waits_and_the_second_resumes_the_workflow_with_both_votes(services):
    waiting = await_approval(services, ACCOUNT)
    first = vote(services, waiting, ADMINS[0])
    assert (first.decision, first.approvals, first.needed) == (None, 1, 2)
    assert services.workflow.decisions == [] and latest(services, ACCOUNT) == waiting
    second = vote(services, waiting, ADMINS[1])
    assert second.decision is not None and second.decision.decided_by == ADMINS[1]
    assert sorted(v.approver for v in second.decision.votes) == sorted(ADMINS)
    assert services.workflow.decisions == [("task-token-1", second.decision)]


def test_the_same_approver_twice_is_409_and_changes_nothing(services):
    waiting = await_approval(services, ACCOUNT)
    vote(services, waiting, ADMINS[0])
    before = dict(services.votes.stored)
    with pytest.raises(AlreadyDecided, match="each approver votes once per round"):
        vote(services, waiting, ADMINS[0])
    assert services.votes.stored == before and services.workflow.decisions == []


def test_a_rejection_by_one_of_two_rejects(services):
    waiting = await_approval(services, ACCOUNT)
    vote(services, waiting, ADMINS[0])
    rejected = vote(services, waiting, ADMINS[1], ReviewRequest(outcome="rejected", reason="Not this way"))
    assert rejected.decision is not None and rejected.decision.outcome == "rejected"
    assert [d.outcome for _, d in services.workflow.decisions] == ["rejected"]


def test_approvals_of_different_edits_do_not_add_up(services):
    waiting = await_approval(services, ACCOUNT)
    steps = waiting.data.plan.action_ids
    vote(services, waiting, ADMINS[0], ReviewRequest(outcome="approved", steps=steps[:2]))
    other = vote(services, waiting, ADMINS[1], ReviewRequest(outcome="approved", steps=steps[:3]))
    assert (other.decision, other.approvals) == (None, 1)
    assert services.workflow.decisions == []


def test_a_link_for_someone_not_asked_is_refused(services):
    waiting = await_approval(services, ACCOUNT)
    with pytest.raises(ApprovalLinkInvalid, match="not issued to an approver"):
        vote(services, waiting, "mallory@example.com")


def test_a_network_ticket_goes_to_the_support_leads_and_one_approval_decides(services):
    waiting = await_approval(services, NETWORK)
    leads = EXAMPLE.members("support-leads")
    assert [m.to for m in services.mailer.of_kind("approval-request")] == [(a,) for a in leads]
    decided = vote(services, waiting, leads[1])
    assert decided.decision is not None and decided.decision.decided_by == leads[1]
    with pytest.raises(AlreadyDecided):
        vote(services, waiting, leads[0])


@pytest.mark.parametrize("race", range(10))
def test_the_last_two_votes_racing_resume_once_and_lose_no_vote(services, race, monkeypatch):
    waiting = await_approval(services, ACCOUNT)
    executed = threading.Lock()

    def next_step_records_the_decision(_: float) -> None:
        # While a losing click waits to say who decided, Execute (the next step) records the winner.
        with executed:
            if services.workflow.decisions and latest(services, ACCOUNT) == waiting:
                (_, won), *_ = services.workflow.decisions
                workflow_tasks.execute_plan(services, task(ExecuteTask, ACCOUNT, decision=won))

    monkeypatch.setattr(checkpoints, "time", SimpleNamespace(sleep=next_step_records_the_decision))
    # Both clicks count the other's vote before either sends: the race Step Functions must settle.
    both_recorded = threading.Barrier(2)
    real_record = services.votes.record

    def record_then_wait_for_the_other(*args: Any) -> Any:
        stored = real_record(*args)
        both_recorded.wait(timeout=5)
        return stored

    start = threading.Barrier(2)
    answers: list[Any] = []
    errors: list[BaseException] = []

    def click(approver: str) -> None:
        start.wait(timeout=5)
        try:
            answers.append(vote(services, waiting, approver))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    monkeypatch.setattr(services.votes, "record", record_then_wait_for_the_other)
    threads = [threading.Thread(target=click, args=(a,)) for a in ADMINS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(services.workflow.decisions) == 1, "the workflow resumes exactly once"
    assert len(services.votes.votes(ACCOUNT.ticket_id, ACCOUNT.customer_id, 1)) == 2, "no vote is lost"
    assert len(answers) == 2 and all(a.decision is not None and a.decision.outcome == "approved" for a in answers)


def test_an_approval_after_another_approvers_rejection_decides_nothing(services):
    # The rejection is sent; the workflow has not recorded it yet when the second approver clicks.
    waiting = await_approval(services, ACCOUNT)
    vote(services, waiting, ADMINS[0], ReviewRequest(outcome="rejected", reason="No."))
    with pytest.raises(AlreadyDecided, match=f"already rejected by {ADMINS[0]}"):
        vote(services, waiting, ADMINS[1])
    assert [d.outcome for _, d in services.workflow.decisions] == ["rejected"]
    assert [v.approver for v in services.votes.votes(ACCOUNT.ticket_id, ACCOUNT.customer_id, 1)] == [ADMINS[0]]


def test_a_resumed_run_asks_anew_and_the_expired_requests_votes_do_not_count(services, monkeypatch):
    from tests.journey import request_approval_again
    from ticketing.domain.task_payloads import CloseTask
    from ticketing.logic import resume

    expired = await_approval(services, ACCOUNT)
    assert vote(services, expired, ADMINS[0]).approvals == 1
    workflow_tasks.close_ticket(services, task(CloseTask, ACCOUNT, outcome="EXPIRED"))
    services.workflow.stop(ACCOUNT.ticket_id)
    resume.resume_ticket(services, ACCOUNT.ticket_id)
    monkeypatch.setattr(workflow_tasks, "utc_now", lambda: expired.data.approval.requested_at + timedelta(seconds=5))
    request_approval_again(services, "task-token-r1", ACCOUNT)
    asking = latest(services, ACCOUNT)
    again = vote(services, asking, ADMINS[0])
    assert (again.decision, again.approvals) == (None, 1), "the same admin votes again, and it is the first vote"
    assert vote(services, asking, ADMINS[1]).decision is not None
