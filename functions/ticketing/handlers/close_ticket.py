"""Lambda: closes a ticket as REJECTED, EXPIRED or FAILED and notifies the people concerned."""

from typing import Any

from ..bootstrap import aws_services
from ..domain.task_payloads import CloseTask
from ..logic import workflow_tasks
from ..observability import count, entry_point
from ..settings import settings_for

SETTINGS = settings_for(__name__)


@entry_point()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = workflow_tasks.close_ticket(aws_services(SETTINGS), CloseTask.model_validate(event))
    if report.state != "REJECTED":  # the API counted the rejection when the approver decided
        count(f"Tickets{report.state.title()}")  # TicketsExpired, TicketsFailed
    return report.model_dump(mode="json")
