"""One checked synthesis for the external checks: the template, the nag report and the state machine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local_runtime.template import Resolver, only_resource


@pytest.fixture(scope="session")
def cloud_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`cdk synth` (bundling off) into a directory, cdk-nag included: it raises on any unacknowledged finding."""
    from infra.app import build_app

    out = tmp_path_factory.mktemp("cdk.out")
    build_app({"bundling": "off"}, outdir=str(out)).synth()
    return out


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
