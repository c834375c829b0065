"""The approval monitor measures how long the oldest open ticket has waited."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3

from ticketing.handlers import approval_monitor
from ticketing.logic.monitoring import open_tickets


def start(moto_stack, name: str) -> None:
    boto3.client("stepfunctions", region_name="us-east-1").start_execution(
        stateMachineArn=moto_stack.state_machine_arn, name=name, input=json.dumps({})
    )


def test_no_open_ticket_means_age_zero(svc):
    report = open_tickets(svc)
    assert report.open_tickets == 0 and report.oldest_age_seconds == 0


def test_the_oldest_running_execution_sets_the_age(svc, moto_stack, monkeypatch):
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    # moto's executions of the fixture's Pass machine finish at once; a Wait state keeps them running
    definition = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    sfn.update_state_machine(stateMachineArn=moto_stack.state_machine_arn, definition=json.dumps(definition))
    start(moto_stack, "tkt-20261125-000000000001")
    start(moto_stack, "tkt-20261125-000000000002")
    started = [e["startDate"] for e in sfn.list_executions(stateMachineArn=moto_stack.state_machine_arn)["executions"]]
    later = min(started) + timedelta(hours=2)
    report = open_tickets(svc, now=later)
    assert report.open_tickets == 2
    assert 2 * 3600 - 1 <= report.oldest_age_seconds <= 2 * 3600 + 1


def test_the_handler_publishes_both_figures(svc, capsys, monkeypatch):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    result = approval_monitor.handler({"source": "aws.events"}, None)
    assert result == {"open_tickets": 0, "oldest_age_seconds": 0.0}
    out = capsys.readouterr().out
    assert '"OpenTickets"' in out and '"OldestOpenTicketAgeSeconds"' in out
