"""Lambda: the HTTP API behind API Gateway (and the local server)."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from ..api.app import app
from ..api.http import serving
from ..bootstrap import aws_services
from ..observability import entry_point
from ..settings import settings_for

SETTINGS = settings_for(__name__)


@entry_point(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with serving(aws_services(SETTINGS)):
        return app.resolve(event, context)
