"""The approval monitor's figures (`logic.monitoring`): open tickets and how long the oldest has waited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import make_ticket
from tests.fakes import FakeWorkflow
from ticketing.logic.monitoring import open_tickets

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def started(workflow: FakeWorkflow, ticket_id: str, ago: timedelta) -> None:
    workflow.start(make_ticket(ticket_id=ticket_id))
    workflow.runs_by_name[ticket_id].started_at = NOW - ago


def test_no_open_ticket_means_none_open_and_age_zero() -> None:
    report = open_tickets(FakeWorkflow(), now=NOW)
    assert (report.open_tickets, report.oldest_age_seconds) == (0, 0.0)


def test_the_oldest_running_workflow_sets_the_age_and_stopped_ones_do_not_count() -> None:
    workflow = FakeWorkflow()
    started(workflow, "tkt-20261125-000000000001", timedelta(hours=2))
    started(workflow, "tkt-20261125-000000000002", timedelta(minutes=5))
    started(workflow, "tkt-20261125-000000000003", timedelta(days=3))
    workflow.stop("tkt-20261125-000000000003", "SUCCEEDED")
    report = open_tickets(workflow, now=NOW)
    assert (report.open_tickets, report.oldest_age_seconds) == (2, 2 * 3600.0)


def test_a_run_started_after_now_by_clock_skew_is_open_but_not_a_negative_age() -> None:
    workflow = FakeWorkflow()
    started(workflow, "tkt-20261125-000000000001", timedelta(seconds=-3))
    report = open_tickets(workflow, now=NOW)
    assert (report.open_tickets, report.oldest_age_seconds) == (1, 0.0)
