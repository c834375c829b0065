"""Lambda: closes a ticket as REJECTED, EXPIRED or FAILED and notifies the people concerned."""

from typing import Any

from ..domain.payloads import CloseInput
from ..logic import steps
from ..wiring import services


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return steps.close_ticket(services(), CloseInput.model_validate(event)).model_dump(mode="json")
