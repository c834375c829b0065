"""Lambda: Approval timer. Before each wait for a decision: how long, and what of the policy is due now."""

from typing import Any

from ..bootstrap import aws_services
from ..domain.task_payloads import ApprovalTimerTask
from ..logic import workflow_tasks
from ..observability import entry_point
from ..settings import settings_for

SETTINGS = settings_for(__name__)


@entry_point()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    wait = workflow_tasks.approval_timer(aws_services(SETTINGS), ApprovalTimerTask.model_validate(event))
    return wait.model_dump(mode="json")
