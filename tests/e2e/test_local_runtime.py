"""The local runtime itself: what one process running several stacks in turn (the e2e modules) relies on."""

from __future__ import annotations

import json
import sys

import boto3
import pytest

from local_runtime.runtime import LocalRuntime
from tests.conftest import make_ticket

pytestmark = pytest.mark.slow

TICKET = make_ticket()
TASK = {"ticket": TICKET.model_dump(mode="json"), "execution_id": f"arn:aws:states:::execution:x:{TICKET.ticket_id}"}


def test_a_second_runtime_in_the_process_gives_its_handlers_its_own_resources():
    with LocalRuntime(serve_http=False):
        pass  # the first stack: its memory and signing secret are gone once it stops
    with LocalRuntime(serve_http=False) as runtime:
        for module in ("ticketing.handlers.request_approval", "ticketing.handlers.api"):
            settings = sys.modules[module].SETTINGS
            assert settings.memory_id == runtime.environment["MEMORY_ID"], module
            assert settings.signing_secret_arn == runtime.environment["SIGNING_SECRET_ARN"], module

        lambda_client = boto3.client("lambda", region_name="us-east-1")

        def invoke(handler: str, payload: dict) -> dict:
            """Through Lambda's Invoke, as the state machine calls the functions."""
            name = runtime.function_named(f"ticketing.handlers.{handler}")
            answer = lambda_client.invoke(FunctionName=name, Payload=json.dumps(payload).encode())
            result = json.loads(answer["Payload"].read())
            assert "FunctionError" not in answer, result
            return result

        analysis = invoke("analyze", TASK)
        plan = invoke("find_resolution", {**TASK, "analysis": analysis})
        sent = invoke("request_approval", {**TASK, "analysis": analysis, "plan": plan, "task_token": "t-1"})
        assert sent["message_ids"]
