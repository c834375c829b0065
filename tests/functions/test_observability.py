"""Every function logs JSON correlated by ticket id and publishes the ticket metrics."""

from __future__ import annotations

import io
import json
import logging

import pytest

from tests.functions.test_api_handler import VALID, call
from tests.functions.test_step_handlers import BASE, decision, prepared
from ticketing.handlers import analyze
from ticketing.observability import logger, ticket_id_of

TICKET = {
    "ticket_id": "tkt-20261125-0123456789ab",
    "customer_id": "cust-1",
    "customer_email": "jo@example.com",
    "subject": "",
    "description": "The office wifi keeps dropping.",
    "submitted_at": "2026-11-25T09:00:00Z",
}


@pytest.fixture
def log_lines(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    stream = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", stream)
    previous = logger.log_level
    logger.setLevel("INFO")
    yield stream
    logger.setLevel(previous)


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def emitted_metrics(output: str) -> set[str]:
    names: set[str] = set()
    for line in output.splitlines():
        if line.startswith('{"_aws"'):
            for directive in json.loads(line)["_aws"]["CloudWatchMetrics"]:
                names |= {m["Name"] for m in directive["Metrics"]}
    return names


def test_a_step_logs_one_json_line_with_its_ticket_id(svc, log_lines):
    analyze.handler({"ticket": TICKET, "execution_id": "exec-1"}, None)
    (line,) = [r for r in records(log_lines) if r["message"] == "handled"]
    assert line["ticket_id"] == TICKET["ticket_id"] and line["service"] == "supportflow"
    assert line["handler"] == "ticketing.handlers.analyze" and line["level"] == "INFO"


def test_module_loggers_inherit_the_json_format_and_the_ticket_id(svc, log_lines, monkeypatch):
    from ticketing.logic import steps

    original = steps.analyze

    def noisy(services, step):
        logging.getLogger("ticketing.logic.steps").warning("slow memory")
        return original(services, step)

    monkeypatch.setattr(steps, "analyze", noisy)
    analyze.handler({"ticket": TICKET, "execution_id": "exec-1"}, None)
    (line,) = [r for r in records(log_lines) if r["message"] == "slow memory"]
    assert line["ticket_id"] == TICKET["ticket_id"] and line["level"] == "WARNING"


def test_submitting_a_ticket_publishes_tickets_submitted(svc, capsys, monkeypatch):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    status, _ = call("POST", "/tickets", VALID)
    assert status == 202
    assert emitted_metrics(capsys.readouterr().out) == {"TicketsSubmitted"}


def test_a_rejected_submission_publishes_nothing(svc, capsys, monkeypatch):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    status, _ = call("POST", "/tickets", {"customer_id": "cust-42"})
    assert status == 400
    assert emitted_metrics(capsys.readouterr().out) == set()


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"ticket": {"ticket_id": "tkt-20261125-0123456789ab"}}, "tkt-20261125-0123456789ab"),
        ({"path": "/approvals/tkt-20261125-0123456789ab"}, "tkt-20261125-0123456789ab"),
        ({"path": "/tickets"}, None),
        ({"path": "/tickets/../../etc"}, None),
    ],
)
def test_the_ticket_id_is_found_in_step_payloads_and_api_paths(event, expected):
    assert ticket_id_of(event) == expected


# Each ticket metric, counted once where its event happens.


def test_completing_a_ticket_counts_once_even_when_execute_is_retried(svc, capsys, monkeypatch):
    from ticketing.handlers import execute

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    prepared(svc)
    approved = decision(svc)
    capsys.readouterr()
    execute.handler({**BASE, "decision": approved}, None)
    assert emitted_metrics(capsys.readouterr().out) == {"TicketsCompleted"}
    execute.handler({**BASE, "decision": approved}, None)  # Step Functions retries after a lost response
    assert emitted_metrics(capsys.readouterr().out) == set()


@pytest.mark.parametrize(("outcome", "metric"), [("EXPIRED", "TicketsExpired"), ("FAILED", "TicketsFailed")])
def test_closing_counts_expiries_and_failures(svc, capsys, monkeypatch, outcome, metric):
    from ticketing.handlers import close_ticket

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    prepared(svc)
    capsys.readouterr()
    error = {"Error": "States.Timeout" if outcome == "EXPIRED" else "RuntimeError", "Cause": "test"}
    close_ticket.handler({**BASE, "outcome": outcome, "error": error}, None)
    assert emitted_metrics(capsys.readouterr().out) == {metric}


def test_a_rejection_is_counted_by_the_decision_not_again_when_the_ticket_closes(svc, capsys, monkeypatch):
    from ticketing.handlers import close_ticket

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    prepared(svc)
    capsys.readouterr()
    close_ticket.handler({**BASE, "outcome": "REJECTED", "decision": decision(svc, outcome="rejected")}, None)
    assert emitted_metrics(capsys.readouterr().out) == set()


def test_a_replayed_submission_is_not_a_new_ticket(svc, capsys, monkeypatch):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    headers = {"Content-Type": "application/json", "Idempotency-Key": "metric-1"}
    assert call("POST", "/tickets", VALID, headers=headers)[0] == 202
    assert emitted_metrics(capsys.readouterr().out) == {"TicketsSubmitted"}
    assert call("POST", "/tickets", VALID, headers=headers)[0] == 202
    assert emitted_metrics(capsys.readouterr().out) == set()
