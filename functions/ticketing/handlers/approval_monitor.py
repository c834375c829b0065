"""Lambda: every few minutes, publish the number of open tickets and the oldest one's age."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from ..logic.monitoring import open_tickets
from ..observability import entry_point, metrics
from ..wiring import services


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = open_tickets(services())
    metrics.add_metric(name="OpenTickets", unit=MetricUnit.Count, value=report.open_tickets)
    metrics.add_metric(name="OldestOpenTicketAgeSeconds", unit=MetricUnit.Seconds, value=report.oldest_age_seconds)
    return report.model_dump()
