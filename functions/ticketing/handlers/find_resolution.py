"""Lambda: Find resolution. Checkpoints FINDING_SOLUTION and returns the plan."""

from typing import Any

from ..domain.payloads import FindResolutionInput
from ..logic import steps
from ..wiring import services


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    plan = steps.find_resolution(services(), FindResolutionInput.model_validate(event))
    return plan.model_dump(mode="json")
