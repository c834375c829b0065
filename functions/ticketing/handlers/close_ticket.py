"""Lambda: closes a ticket as REJECTED, EXPIRED or FAILED and notifies the people concerned."""

from typing import Any

from ..domain.payloads import CloseInput
from ..logic import steps
from ..observability import count, entry_point
from ..wiring import services


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = steps.close_ticket(services(), CloseInput.model_validate(event))
    if report.state != "REJECTED":  # the API counted the rejection when the approver decided
        count(f"Tickets{report.state.title()}")  # TicketsExpired, TicketsFailed
    return report.model_dump(mode="json")
