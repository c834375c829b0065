"""Lambda: Await approval (invoked with a task token; the workflow waits for the decision)."""

from typing import Any

from ..bootstrap import aws_services
from ..domain.task_payloads import RequestApprovalTask
from ..logic import workflow_tasks
from ..observability import entry_point
from ..settings import settings_for

SETTINGS = settings_for(__name__)


@entry_point()
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    return workflow_tasks.request_approval(aws_services(SETTINGS), RequestApprovalTask.model_validate(event))
