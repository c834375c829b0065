"""Lambda: Execute resolution. Runs exactly the approved plan and checkpoints COMPLETED."""

from typing import Any

from ..domain.payloads import ExecuteInput
from ..logic import steps
from ..observability import count, entry_point
from ..wiring import services


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = steps.execute_plan(services(), ExecuteInput.model_validate(event))
    if report.completed_now:  # a retry that found the ticket COMPLETED is not a second completion
        count("TicketsCompleted")
    return report.model_dump(mode="json")
