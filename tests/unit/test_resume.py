"""Where a resumed ticket continues: the first step whose result its checkpoint lacks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ticketing.domain.catalog import load_catalog
from ticketing.domain.checkpoint import Checkpoint, CheckpointData
from ticketing.domain.errors import ResumeRefused
from ticketing.domain.models import Decision, FailureReport, TicketState
from ticketing.domain.resume import resume_input, resume_point
from ticketing.domain.triage import analyze_ticket

from ..conftest import make_ticket

TICKET = make_ticket()
ANALYSIS = analyze_ticket(TICKET)
PLAN = load_catalog().plan_for(ANALYSIS)
DECISION = Decision(
    outcome="approved", plan_hash=PLAN.plan_hash, decided_at=datetime(2026, 11, 25, tzinfo=UTC), decided_by="a@b.co"
)
FAILURE = FailureReport(error="Boom", cause="", failed_in=TicketState.EXECUTING)


def checkpoint(state: TicketState, **data: object) -> Checkpoint:
    return Checkpoint.seal(
        ticket_id=TICKET.ticket_id,
        state=state,
        sequence=5,
        created_at=datetime(2026, 11, 25, tzinfo=UTC),
        step_key="x",
        data=CheckpointData.model_validate({"ticket": TICKET, **data}),
    )


@pytest.mark.parametrize(
    ("state", "data", "expected"),
    [
        (TicketState.EXPIRED, {"analysis": ANALYSIS, "plan": PLAN}, "approval"),
        (TicketState.FAILED, {"analysis": ANALYSIS, "plan": PLAN, "failure": FAILURE}, "approval"),
        (TicketState.FAILED, {"analysis": ANALYSIS, "plan": PLAN, "decision": DECISION}, "decision"),
        (TicketState.FAILED, {"analysis": ANALYSIS, "failure": FAILURE}, "resolution"),
        (TicketState.FAILED, {"failure": FAILURE}, "analysis"),
        (TicketState.EXECUTING, {"analysis": ANALYSIS, "plan": PLAN, "decision": DECISION}, "decision"),
        (TicketState.AWAITING_APPROVAL, {"analysis": ANALYSIS, "plan": PLAN}, "approval"),
    ],
)
def test_a_stopped_ticket_resumes_at_the_first_step_without_a_recorded_result(state, data, expected):
    assert resume_point(checkpoint(state, **data), False) == expected


def test_a_ticket_stopped_before_its_first_checkpoint_starts_over():
    assert resume_point(None, False) == "analysis"


@pytest.mark.parametrize("state", [TicketState.COMPLETED, TicketState.REJECTED])
def test_a_ticket_that_ended_well_is_not_resumed(state):
    with pytest.raises(ResumeRefused, match=state.value):
        resume_point(checkpoint(state, analysis=ANALYSIS, plan=PLAN, decision=DECISION), False)


def test_a_running_workflow_is_not_resumed():
    with pytest.raises(ResumeRefused, match="still running"):
        resume_point(checkpoint(TicketState.EXPIRED, analysis=ANALYSIS, plan=PLAN), True)


def test_the_resume_input_carries_only_what_the_steps_from_there_need():
    latest = checkpoint(TicketState.FAILED, analysis=ANALYSIS, plan=PLAN, decision=DECISION, failure=FAILURE)
    payload = resume_input(TICKET, latest, "approval", TICKET.ticket_id).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    assert payload["resume"] == {"from": "approval", "previous_execution": TICKET.ticket_id, "checkpoint_sequence": 5}
    assert set(payload) == {"ticket", "resume", "analysis", "plan"}
    resumed = resume_input(TICKET, latest, "decision", TICKET.ticket_id)
    assert resumed.decision == DECISION and resumed.plan == PLAN
    assert set(resume_input(TICKET, latest, "resolution", "p").model_dump(exclude_none=True)) == {
        "ticket",
        "resume",
        "analysis",
    }


def test_a_failure_is_left_behind_by_the_next_checkpoint_but_kept_by_a_failed_one():
    data = checkpoint(TicketState.FAILED, analysis=ANALYSIS, failure=FAILURE).data
    assert data.carried_into(TicketState.FINDING_SOLUTION).failure is None
    assert data.carried_into(TicketState.FAILED).failure == FAILURE
