"""Lambda: Find resolution. Checkpoints FINDING_SOLUTION and returns the plan."""

from typing import Any

from ..domain.payloads import FindResolutionInput
from ..logic import steps
from ..observability import entry_point
from ..wiring import services


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    plan = steps.find_resolution(services(), FindResolutionInput.model_validate(event))
    return plan.model_dump(mode="json")
