"""Lambda: Analyze issue. Checkpoints ANALYZING and returns the analysis."""

from typing import Any

from ..domain.payloads import AnalyzeInput
from ..logic import steps
from ..observability import entry_point
from ..wiring import services


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    analysis = steps.analyze(services(), AnalyzeInput.model_validate(event))
    return analysis.model_dump(mode="json")
