"""Lambda: Await confirmation (invoked with a task token; the workflow waits for the customer's answer)."""

from typing import Any

from ..bootstrap import aws_services
from ..domain.task_payloads import RequestConfirmationTask
from ..logic import confirmation
from ..observability import entry_point
from ..settings import settings_for

SETTINGS = settings_for(__name__)


@entry_point()
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    return confirmation.request_confirmation(aws_services(SETTINGS), RequestConfirmationTask.model_validate(event))
