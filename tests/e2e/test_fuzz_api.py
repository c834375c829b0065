"""Property-based fuzzing of the published OpenAPI document against the local stack over HTTP.

Schemathesis generates requests for every operation the document lists (routes added
later are fuzzed too): valid ones (positive) and ones that break the schema
(negative). Every answer must be a non-5xx that the document describes (status,
content type, body schema); every invalid request must be refused and start nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from local_runtime.runtime import LocalRuntime
from tests.figures import record
from ticketing.api.app import openapi_document

pytestmark = pytest.mark.slow

# Bounded so the whole module runs in well under two minutes on two shared cores.
EXAMPLES_PER_OPERATION = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 60}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FIGURES: dict[str, Any] = {}


def executions(stack: LocalRuntime) -> int:
    pages = stack.sfn.get_paginator("list_executions").paginate(stateMachineArn=stack.state_machine_arn)
    return sum(len(page["executions"]) for page in pages)


@pytest.fixture(scope="module")
def schema(stack: LocalRuntime) -> Any:
    # The document as the running API publishes it: what a client would fuzz.
    return schemathesis.openapi.from_url(f"{stack.base_url}/openapi.json")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_fuzzed_requests_get_documented_answers_and_never_a_5xx(stack, schema, mode):
    session = requests.Session()
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
    before = executions(stack)
    operations = [result.ok() for result in schema.get_all_operations()]
    documented = sum(len(item) for item in openapi_document()["paths"].values())
    assert len(operations) >= documented - 1  # all but GET /openapi.json, which schemathesis loads itself
    cases: dict[str, int] = {}
    accepted = 0

    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION[mode],
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: Any) -> None:
            nonlocal accepted
            response = case.call(base_url=stack.base_url, session=session, timeout=30)
            case.validate_response(response, checks=checks)
            cases[case.operation.label] = cases.get(case.operation.label, 0) + 1
            accepted += case.operation.label == "POST /tickets" and response.status_code == 202

        fuzz()

    created = executions(stack) - before
    FIGURES[mode.value] = {"cases": sum(cases.values()), "per_operation": cases, "tickets_created": created}
    record("fuzz", FIGURES)
    if mode is GenerationMode.NEGATIVE:
        assert created == 0, "invalid input started a workflow"
    else:
        assert created == accepted  # each accepted ticket started exactly one workflow
