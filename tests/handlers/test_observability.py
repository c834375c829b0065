"""Every function logs JSON correlated by ticket (and, on the API, by request) and publishes the ticket metrics."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools.logging import logger as powertools_logger

from tests.fakes import FakeLambdaContext
from ticketing.bootstrap import AwsServices
from ticketing.domain.models import Decision
from ticketing.logic import workflow_tasks
from ticketing.observability import logger, ticket_id_of

from ..adapters.conftest import APPROVER
from .conftest import CONTEXT, TASK, TICKET, api_event, awaiting_approval

VALID = {"customer_id": "cust-42", "customer_email": "jo@example.com", "description": "My wifi keeps dropping."}


@pytest.fixture
def log_lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", stream)
    previous = logger.log_level
    logger.setLevel("INFO")
    yield stream
    logger.setLevel(previous)


@pytest.fixture
def metric_lines(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> pytest.CaptureFixture[str]:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    return capsys


def records(stream: io.StringIO, message: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    return [line for line in lines if line["message"] == message]


def emitted_metrics(capsys: pytest.CaptureFixture[str]) -> set[str]:
    """The metric names in the EMF lines printed since the last call."""
    names: set[str] = set()
    for line in capsys.readouterr().out.splitlines():
        if line.startswith('{"_aws"'):
            for directive in json.loads(line)["_aws"]["CloudWatchMetrics"]:
                names |= {m["Name"] for m in directive["Metrics"]}
    return names


# Logs


def test_a_step_logs_one_json_line_with_its_ticket_id_and_the_lambda_context(import_handler, moto_stack, log_lines):
    import_handler("analyze").handler(TASK, FakeLambdaContext(function_name="analyze-fn", aws_request_id="req-7"))
    (line,) = records(log_lines, "handled")
    assert line["ticket_id"] == TICKET.ticket_id and line["service"] == "supportflow" and line["level"] == "INFO"
    assert line["handler"] == "ticketing.handlers.analyze" and line["duration_ms"] >= 0
    assert (line["function_name"], line["function_request_id"]) == ("analyze-fn", "req-7")


def test_cold_start_is_true_on_a_containers_first_invocation_only(import_handler, moto_stack, log_lines, monkeypatch):
    monkeypatch.setattr(powertools_logger, "is_cold_start", True)  # a new container
    analyze = import_handler("analyze")
    analyze.handler(TASK, CONTEXT)
    analyze.handler(TASK, CONTEXT)
    assert [line["cold_start"] for line in records(log_lines, "handled")] == [True, False]


def test_module_loggers_inherit_the_json_format_and_the_ticket_id(import_handler, moto_stack, log_lines, monkeypatch):
    original = workflow_tasks.analyze

    def noisy(services: Any, task: Any) -> Any:
        logging.getLogger("ticketing.logic.workflow_tasks").warning("slow memory")
        return original(services, task)

    monkeypatch.setattr(workflow_tasks, "analyze", noisy)
    import_handler("analyze").handler(TASK, CONTEXT)
    (line,) = records(log_lines, "slow memory")
    assert line["ticket_id"] == TICKET.ticket_id and line["level"] == "WARNING"


def test_an_invocation_does_not_carry_the_previous_ones_ticket_id(import_handler, moto_stack, log_lines):
    import_handler("analyze").handler(TASK, CONTEXT)
    import_handler("approval_monitor").handler({}, CONTEXT)
    first, second = records(log_lines, "handled")
    assert first["ticket_id"] == TICKET.ticket_id and "ticket_id" not in second


def test_the_api_logs_carry_the_api_gateway_request_id_as_correlation_id(import_handler, aws, log_lines):
    aws.workflow.start(TICKET)
    event = api_event("GET", f"/tickets/{TICKET.ticket_id}", request_id="c0ffee-42")
    assert import_handler("api").handler(event, CONTEXT)["statusCode"] == 200
    (line,) = records(log_lines, "handled")
    assert line["correlation_id"] == "c0ffee-42" and line["ticket_id"] == TICKET.ticket_id


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"ticket": {"ticket_id": "tkt-20261125-0123456789ab"}}, "tkt-20261125-0123456789ab"),
        ({"path": "/approvals/tkt-20261125-0123456789ab"}, "tkt-20261125-0123456789ab"),
        ({"path": "/tickets"}, None),
        ({"path": "/tickets/../../etc"}, None),
        ({"ticket": "tkt-20261125-0123456789ab"}, None),
    ],
)
def test_the_ticket_id_is_found_in_step_payloads_and_api_paths(event, expected):
    assert ticket_id_of(event) == expected


# Metrics: each ticket metric counted once, where its event happens


def decision(aws: AwsServices, outcome: str = "approved") -> dict[str, Any]:
    plan_hash = aws.checkpoints.history(TICKET.ticket_id, TICKET.customer_id)[-1].data.plan_hash
    made = Decision(outcome=outcome, plan_hash=plan_hash, decided_at=datetime.now(UTC), decided_by=APPROVER)
    return made.model_dump(mode="json")


def test_submitting_a_ticket_publishes_tickets_submitted(import_handler, moto_stack, metric_lines):
    response = import_handler("api").handler(api_event("POST", "/tickets", VALID), CONTEXT)
    assert response["statusCode"] == 202
    assert emitted_metrics(metric_lines) == {"TicketsSubmitted"}


def test_a_refused_submission_publishes_nothing(import_handler, moto_stack, metric_lines):
    response = import_handler("api").handler(api_event("POST", "/tickets", {"customer_id": "cust-42"}), CONTEXT)
    assert response["statusCode"] == 400
    assert emitted_metrics(metric_lines) == set()


def test_a_replayed_submission_is_not_a_new_ticket(import_handler, moto_stack, metric_lines):
    api = import_handler("api")
    submit = api_event("POST", "/tickets", VALID, headers={"Idempotency-Key": "metric-1"})
    assert api.handler(submit, CONTEXT)["statusCode"] == 202
    assert emitted_metrics(metric_lines) == {"TicketsSubmitted"}
    assert api.handler(submit, CONTEXT)["statusCode"] == 202
    assert emitted_metrics(metric_lines) == set()


def test_completing_a_ticket_counts_once_even_when_execute_is_retried(import_handler, aws, metric_lines):
    awaiting_approval(import_handler)
    execute = import_handler("execute")
    payload = {**TASK, "decision": decision(aws)}
    emitted_metrics(metric_lines)
    execute.handler(payload, CONTEXT)
    assert emitted_metrics(metric_lines) == {"TicketsCompleted"}
    execute.handler(payload, CONTEXT)  # Step Functions retries after a lost response
    assert emitted_metrics(metric_lines) == set()


@pytest.mark.parametrize(("outcome", "metric"), [("EXPIRED", "TicketsExpired"), ("FAILED", "TicketsFailed")])
def test_closing_counts_expiries_and_failures(import_handler, aws, metric_lines, outcome, metric):
    awaiting_approval(import_handler)
    error = {"Error": "States.Timeout" if outcome == "EXPIRED" else "RuntimeError", "Cause": "test"}
    emitted_metrics(metric_lines)
    import_handler("close_ticket").handler({**TASK, "outcome": outcome, "error": error}, CONTEXT)
    assert emitted_metrics(metric_lines) == {metric}


def test_a_rejection_is_counted_by_the_decision_not_again_when_the_ticket_closes(import_handler, aws, metric_lines):
    awaiting_approval(import_handler)
    emitted_metrics(metric_lines)
    payload = {**TASK, "outcome": "REJECTED", "decision": decision(aws, outcome="rejected")}
    import_handler("close_ticket").handler(payload, CONTEXT)
    assert emitted_metrics(metric_lines) == set()


def test_the_approval_monitor_publishes_the_open_tickets_and_the_oldest_ones_age(import_handler, aws, metric_lines):
    aws.workflow.start(TICKET)
    import_handler("approval_monitor").handler({}, CONTEXT)
    assert emitted_metrics(metric_lines) == {"OpenTickets", "OldestOpenTicketAgeSeconds"}
