"""Lambda: every few minutes, publish the number of open tickets and the oldest one's age."""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from ..bootstrap import aws_services
from ..logic.monitoring import open_tickets
from ..observability import entry_point, metrics
from ..settings import settings_for

SETTINGS = settings_for(__name__)


@entry_point()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = open_tickets(aws_services(SETTINGS).workflow)
    metrics.add_metric(name="OpenTickets", unit=MetricUnit.Count, value=report.open_tickets)
    metrics.add_metric(name="OldestOpenTicketAgeSeconds", unit=MetricUnit.Seconds, value=report.oldest_age_seconds)
    return asdict(report)
