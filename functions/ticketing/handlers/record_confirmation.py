"""Lambda: Record confirmation: the customer's answer (or none) closes, reopens or escalates the ticket."""

from typing import Any

from ..bootstrap import aws_services
from ..domain.task_payloads import RecordConfirmationTask
from ..logic import confirmation
from ..observability import count, entry_point
from ..settings import settings_for

SETTINGS = settings_for(__name__)


@entry_point()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = confirmation.record_confirmation(aws_services(SETTINGS), RecordConfirmationTask.model_validate(event))
    count(f"Tickets{report.state.title()}")  # TicketsClosed, TicketsReopened, TicketsEscalated
    return report.model_dump(mode="json")
