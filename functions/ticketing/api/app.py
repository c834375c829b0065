"""The HTTP API: the resolver that includes each resource's router, and where errors become HTTP.

The same resolver serves API Gateway in Lambda and the local HTTP server. Every
refusal is `{"error": <code>, "message": <sentence>}` (or an HTML page for a browser
on the approval routes), built in one place: `_refusal`, from `errors.py`'s table.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from ..domain.errors import SupportflowError
from . import approvals, confirmations, conversation, http, openapi, pages, steps, tickets
from .errors import RequestError, status_and_code

log = logging.getLogger(__name__)

# Validation stays off: bodies are parsed in http.py (see why there); paths are checked by the logic.
app = APIGatewayRestResolver()
app.include_router(tickets.router)
app.include_router(conversation.router)
app.include_router(approvals.router)
app.include_router(confirmations.router)
app.include_router(steps.router)


@app.get(
    "/openapi.json",
    summary="This API's OpenAPI description",
    description="Generated from the routes and their pydantic models; docs/openapi.json is a copy.",
    responses={200: {"description": "OpenAPI 3.1 document.", "content": {http.JSON: {"schema": {"type": "object"}}}}},
)
def openapi_json() -> Response[str]:
    return http.json_response(200, openapi_document())


@functools.cache
def openapi_document() -> dict[str, Any]:
    return openapi.document(app)


@app.exception_handler(RequestError)  # type: ignore[untyped-decorator]
@app.exception_handler(SupportflowError)  # type: ignore[untyped-decorator]
def _refusal(error: RequestError | SupportflowError) -> Response[str]:
    status, code = status_and_code(error)
    message = error.message
    if status >= 500:
        log.error("refused with %s: %s", status, error)
        if code == "internal_error":  # a domain error the API does not expect: its words are for operators
            message = "Something went wrong on our side; nothing was changed."
    event = app.current_event
    if (event.path or "").startswith(("/approvals/", "/confirmations/", "/steps/")) and http.wants_html(event):
        return http.html_response(status, pages.error_page(status, code, message))
    return http.json_response(status, {"error": code, "message": message})


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def _unexpected_error(error: Exception) -> Response[str]:
    log.exception("unhandled error in %s %s", app.current_event.http_method, app.current_event.path)
    return http.json_response(
        500, {"error": "internal_error", "message": "Something went wrong on our side; nothing was changed."}
    )


@app.not_found
def _not_found(_: Exception) -> Response[str]:
    return http.json_response(
        404, {"error": "not_found", "message": "There is no such route. See the README for the API."}
    )
