"""Lambda: Await approval (invoked with a task token; the workflow waits for the decision)."""

from typing import Any

from ..domain.payloads import RequestApprovalInput
from ..logic import steps
from ..observability import entry_point
from ..wiring import services


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    return steps.request_approval(services(), RequestApprovalInput.model_validate(event))
