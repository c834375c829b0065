"""Lambda: Revise plan. The approver asked for changes: record the round, propose the next plan."""

from typing import Any

from ..agents import planner  # noqa: F401 - loaded at init (and into a SnapStart snapshot), not at first use
from ..bootstrap import aws_services
from ..domain.task_payloads import RevisePlanTask
from ..logic import workflow_tasks
from ..observability import entry_point
from ..settings import settings_for

SETTINGS = settings_for(__name__)


@entry_point()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    plan = workflow_tasks.revise_plan(aws_services(SETTINGS), RevisePlanTask.model_validate(event))
    return plan.model_dump(mode="json")
