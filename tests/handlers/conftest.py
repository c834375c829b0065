"""The Lambda handlers, imported as Lambda imports them (settings read at import), on moto."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from tests.adapters.conftest import aws, moto_stack  # noqa: F401 - the same moto account for the handlers
from tests.conftest import make_ticket
from tests.fakes import FakeLambdaContext

TICKET = make_ticket()
EXECUTION_ID = f"arn:aws:states:us-east-1:123456789012:execution:tickets:{TICKET.ticket_id}"
# What every task's payload holds (infra/components/workflow.py: TICKET); each step adds its own keys.
TASK: dict[str, Any] = {"ticket": TICKET.model_dump(mode="json"), "execution_id": EXECUTION_ID}

ImportHandler = Callable[[str], ModuleType]
CONTEXT = FakeLambdaContext()


@pytest.fixture
def import_handler(monkeypatch: pytest.MonkeyPatch) -> ImportHandler:
    """Import a handler module afresh, as a new Lambda container does, with the environment as it is now.

    A handler reads its settings at import, so each test gets one bound to its own moto
    resources; the module imported before the test is put back afterwards.
    """

    def load(name: str) -> ModuleType:
        module = f"ticketing.handlers.{name}"
        monkeypatch.delitem(sys.modules, module, raising=False)
        return importlib.import_module(module)

    return load


def api_event(
    method: str, path: str, body: Any = None, *, request_id: str = "req-api-1", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """An API Gateway REST proxy event, as API Gateway sends it to the API function."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": sent,
        "multiValueHeaders": {k: [v] for k, v in sent.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"stage": "prod", "path": f"/prod{path}", "httpMethod": method, "requestId": request_id},
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def awaiting_approval(import_handler: ImportHandler) -> dict[str, Any]:
    """Run the steps before the wait, as the state machine would; returns what the last one sent."""
    analysis = import_handler("analyze").handler(TASK, CONTEXT)
    plan = import_handler("find_resolution").handler({**TASK, "analysis": analysis}, CONTEXT)
    payload = {**TASK, "analysis": analysis, "plan": plan, "task_token": "task-token-1"}
    sent: dict[str, Any] = import_handler("request_approval").handler(payload, CONTEXT)
    return {**payload, **sent}
