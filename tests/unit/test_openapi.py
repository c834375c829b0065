"""The published OpenAPI document: generated from the routes, honest, and current in docs/."""

from __future__ import annotations

import json
from pathlib import Path

from infra.components.api import ROUTES
from local_runtime.cli import openapi_text
from tests.fakes import FakeLambdaContext
from ticketing.api.app import openapi_document

DOCS = Path(__file__).parents[2] / "docs" / "openapi.json"
# Operations that read no body: resume continues from the ticket's own checkpoint.
BODILESS = {("post", "/tickets/{ticket_id}/resume")}


def test_docs_openapi_json_is_the_generated_document():
    assert DOCS.read_text() == openapi_text(), "regenerate it: .venv/bin/supportflow openapi > docs/openapi.json"


def test_every_deployed_route_is_described_and_nothing_else():
    document = openapi_document()
    described = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert described == {(route.method, route.path) for route in ROUTES}


def test_every_operation_says_what_it_does_and_how_it_refuses():
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            assert operation["summary"] and operation["description"], (method, path)
            codes = set(operation["responses"])
            assert any(code.startswith("2") for code in codes), (method, path)
            if "{ticket_id}" in path:
                assert "404" in codes, (method, path)
            if method in {"post", "put", "patch"} and (method, path) not in BODILESS:
                assert {"400", "413", "415"} <= codes and operation["requestBody"]["required"], (method, path)


def test_request_bodies_and_parameters_come_from_the_code():
    document = openapi_document()
    submit = document["paths"]["/tickets"]["post"]
    body = submit["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["customer_id", "customer_email", "description"]
    assert body["additionalProperties"] is False
    assert [p["name"] for p in submit["parameters"]] == ["Idempotency-Key"]
    review = document["paths"]["/approvals/{ticket_id}"]["get"]
    assert [(p["name"], p["in"], p["required"]) for p in review["parameters"]] == [
        ("ticket_id", "path", True),
        ("token", "query", True),
        ("order", "query", False),
    ]
    decide = document["paths"]["/approvals/{ticket_id}"]["post"]["requestBody"]["content"]
    assert set(decide) == {"application/x-www-form-urlencoded", "application/json"}
    assert decide["application/json"]["schema"]["properties"]["decision"]["enum"] == ["approve", "reject", "revise"]
    assert "x-supportflow-parameters" not in json.dumps(document)


def test_the_api_serves_the_document_at_openapi_json():
    from ticketing.api.app import app

    event = {
        "resource": "/openapi.json",
        "path": "/openapi.json",
        "httpMethod": "GET",
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"stage": "prod", "path": "/openapi.json", "httpMethod": "GET", "requestId": "r"},
        "body": None,
        "isBase64Encoded": False,
    }
    response = app.resolve(event, FakeLambdaContext())
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == openapi_document()
