"""Lambda: Await step report (invoked with a task token; the workflow waits for a person's report on a step)."""

from typing import Any

from ..bootstrap import aws_services
from ..domain.task_payloads import RequestStepReportTask
from ..logic import person_steps
from ..observability import entry_point
from ..settings import settings_for

SETTINGS = settings_for(__name__)


@entry_point()
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    return person_steps.request_step_report(aws_services(SETTINGS), RequestStepReportTask.model_validate(event))
