"""The default cloud assembly (template and nag report), one template with every setting changed, the state machine."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from local_runtime.template import Resolver, only_resource

# Every deploy-time setting a test reads from the template, off its default. One synthesis serves the
# tests that check a setting reaches the template (each asserts only its own), instead of one each.
CUSTOM_CONTEXT: dict[str, Any] = {
    "approval_timeout_seconds": 600,
    "approval_alarm_age_seconds": 3600,
    "log_execution_data": "true",
    "model_id": "none",
    "webhook_urls": "https://hooks.example.com/a, https://ticketing.example.org/supportflow",
    "webhook_retry_base_seconds": 10,
    "webhook_max_attempts": 5,
    "events_include_customer_text": "true",
    "identity_user_pool_id": "us-east-1_Example1",
    "identity_user_attribute": "email",
    "executor_overrides": {"network.reset-adapter": "simulated"},
    "device_command_wait_seconds": 45,
}


@pytest.fixture(scope="session")
def cloud_assembly(cloud_assembly_for: Callable[[dict[str, Any]], Path]) -> Path:
    """The default context's assembly, the same synthesis the `template` fixture reads."""
    return cloud_assembly_for({})


@pytest.fixture
def custom_template(template_for: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """The template with CUSTOM_CONTEXT applied."""
    return template_for(CUSTOM_CONTEXT)


def state_machine_definition(template: dict[str, Any]) -> dict[str, Any]:
    """The definition with every Ref and GetAtt replaced by a well-formed ARN, as CloudFormation would."""
    region, account = "us-east-1", "123456789012"
    refs: dict[str, str] = {"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": "aws"}
    attributes = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Lambda::Function":
            attributes[(logical_id, "Arn")] = f"arn:aws:lambda:{region}:{account}:function:{logical_id}"
        refs.setdefault(logical_id, logical_id)
    _, state_machine = only_resource(template, "AWS::StepFunctions::StateMachine")
    return json.loads(Resolver(refs, attributes).resolve(state_machine["Properties"]["DefinitionString"]))
