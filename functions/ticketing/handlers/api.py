"""Lambda: the HTTP API behind API Gateway (and the local server)."""

from typing import Any

from ..api.routes import app
from ..observability import entry_point


@entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
