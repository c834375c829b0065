"""A local runtime leaves the process as it found it, so a second one runs in the same process."""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest
from botocore.handlers import BUILTIN_HANDLERS

from local_runtime.http_client import ApiClient
from local_runtime.runtime import LocalRuntime

from .conftest import submit_and_wait_for_link, wait_for_state

pytestmark = pytest.mark.slow


def process_globals() -> dict[str, Any]:
    """What a runtime changes while it runs and must change back."""
    return {
        "botocore built-in handlers": list(BUILTIN_HANDLERS),
        "environment": dict(os.environ),
        "boto3 default session": boto3.DEFAULT_SESSION,
    }


def approve_one_ticket(runtime: LocalRuntime) -> None:
    """Through every hook: in-process Lambda, outbox copy, exactly-once task token."""
    api = ApiClient(runtime.base_url)
    ticket_id, link = submit_and_wait_for_link(api)
    assert api.post_decision(link, "approve").status == 200
    assert api.post_decision(link, "reject", accept="application/json").status == 409
    assert wait_for_state(api, ticket_id, {"COMPLETED", "FAILED"})["state"] == "COMPLETED"


def test_a_stopped_runtime_leaves_no_global_changed_and_a_second_one_works():
    before = process_globals()
    with LocalRuntime() as first:
        assert process_globals()["botocore built-in handlers"] != before["botocore built-in handlers"]
        approve_one_ticket(first)
    assert process_globals() == before

    with LocalRuntime() as second:
        approve_one_ticket(second)
    assert process_globals() == before
