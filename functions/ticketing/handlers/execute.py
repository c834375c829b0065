"""Lambda: Execute resolution. Runs exactly the approved plan and checkpoints COMPLETED."""

from typing import Any

from ..bootstrap import aws_services
from ..domain.task_payloads import ExecuteTask
from ..logic import workflow_tasks
from ..observability import count, entry_point
from ..settings import settings_for

SETTINGS = settings_for(__name__)


@entry_point()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = workflow_tasks.execute_plan(aws_services(SETTINGS), ExecuteTask.model_validate(event))
    if report.completed_now:  # a retry that found the ticket COMPLETED is not a second completion
        count("TicketsCompleted")
    return report.model_dump(mode="json")
