"""Pieces of the OpenAPI description that Powertools cannot derive from a route's signature.

The routes parse their bodies and read their query and header parameters themselves
(see `http.py`), so they declare them here; `document()` merges them into what
Powertools generates.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from .contract import ErrorBody
from .http import HTML, JSON

# Query and header parameters a route reads itself, carried in an extension until `document()`.
PARAMETERS = "x-supportflow-parameters"


def error_doc(description: str, *, html: bool = False) -> OpenAPIResponse:
    content: dict[str, Any] = {JSON: {"model": ErrorBody}}
    if html:
        content[HTML] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


def body_doc(model: type[BaseModel], *media_types: str) -> dict[str, Any]:
    """An OpenAPI requestBody from the pydantic model the route parses."""
    schema = model.model_json_schema()
    return {"required": True, "content": {media: {"schema": schema} for media in media_types}}


def document(app: APIGatewayRestResolver) -> dict[str, Any]:
    """The OpenAPI document of every route, as Powertools generates it, with the declared parameters."""
    generated: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title="supportflow",
            version="1",
            description="Submit support tickets, follow them, and approve or reject their proposed resolution.",
        )
    )
    for path_item in generated["paths"].values():
        for operation in path_item.values():
            declared = operation.pop(PARAMETERS, [])
            if declared:
                operation["parameters"] = [*operation.get("parameters", []), *declared]
    return generated
