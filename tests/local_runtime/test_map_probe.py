"""Probe: does moto's ASL interpreter run an inline Map over the approved steps with a Choice by executor?

The README's "Person steps" says why the steps still run through Execute; this keeps the fact it
relies on checked (moto 5.2.5: it does, with Pass states inside; results come back in order)."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
from moto import mock_aws

DEFINITION = {
    "StartAt": "Each approved step",
    "States": {
        "Each approved step": {
            "Type": "Map",
            "ItemsPath": "$.steps",
            "MaxConcurrency": 1,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "By executor",
                "States": {
                    "By executor": {
                        "Type": "Choice",
                        "Choices": [
                            {"Variable": "$.kind", "StringEquals": "customer", "Next": "Person step"},
                            {"Variable": "$.kind", "StringEquals": "engineer", "Next": "Person step"},
                        ],
                        "Default": "Automated step",
                    },
                    "Person step": {"Type": "Pass", "Parameters": {"ran": "person", "id.$": "$.id"}, "End": True},
                    "Automated step": {"Type": "Pass", "Parameters": {"ran": "lambda", "id.$": "$.id"}, "End": True},
                },
            },
            "ResultPath": "$.results",
            "End": True,
        }
    },
}
STEPS = [{"id": "check", "kind": "device"}, {"id": "router", "kind": "customer"}, {"id": "outage", "kind": "engineer"}]


def test_an_inline_map_with_a_choice_by_executor_runs_on_motos_interpreter() -> None:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):  # type: ignore[call-overload]
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(
            name="map-probe", definition=json.dumps(DEFINITION), roleArn="arn:aws:iam::123456789012:role/probe"
        )["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"steps": STEPS}))["executionArn"]
        described: dict[str, Any] = {}
        for _ in range(200):
            described = sfn.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING":
                break
            time.sleep(0.02)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["results"] == [
        {"ran": "lambda", "id": "check"},
        {"ran": "person", "id": "router"},
        {"ran": "person", "id": "outage"},
    ]
