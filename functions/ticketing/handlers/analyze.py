"""Lambda: Analyze issue. Checkpoints ANALYZING and returns the analysis."""

from typing import Any

from ..agents import analyst  # noqa: F401 - loaded at init (and into a SnapStart snapshot), not at first use
from ..bootstrap import aws_services
from ..domain.task_payloads import AnalyzeTask
from ..logic import workflow_tasks
from ..observability import entry_point
from ..settings import settings_for

SETTINGS = settings_for(__name__)


@entry_point()
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    analysis = workflow_tasks.analyze(aws_services(SETTINGS), AnalyzeTask.model_validate(event))
    return analysis.model_dump(mode="json")
