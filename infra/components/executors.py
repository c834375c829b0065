"""What the executors act on: the stack's Run Command documents and the Execute function's rights on them.

Each device action's command is a document in `infra/ssm_documents/<command>.yaml`, reviewed in the
repository; its `version` becomes the document's version name, and a change deploys a new version
(never free text from a model or a ticket). Identity actions act on one existing Cognito user pool,
named in configuration; without one they run simulated and the stack grants nothing on Cognito.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from ticketing.contract import Env
from ticketing.domain.execution import CUSTOMER_TAG

DOCUMENTS = Path(__file__).resolve().parents[1] / "ssm_documents"
# The calls each identity operation makes (ListUsers finds the user; AdminGetUser checks a reset's state).
IDENTITY_ACTIONS = [
    "cognito-idp:ListUsers",
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminResetUserPassword",
    "cognito-idp:AdminUserGlobalSignOut",
    "cognito-idp:AdminEnableUser",
]


def command_documents() -> dict[str, dict[str, Any]]:
    """Each command's document file (`version` and `content`), by command name."""
    found = {}
    for path in sorted(DOCUMENTS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        if set(data) != {"version", "content"} or data["content"].get("schemaVersion") != "2.2":
            raise ValueError(f"{path.name}: a command document holds `version` and a schema 2.2 `content`")
        found[path.stem] = data
    return found


class DeviceCommands(Construct):
    """One `AWS::SSM::Document` per device command, and the rights to run them on tagged instances."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.documents: dict[str, ssm.CfnDocument] = {}
        for command, data in command_documents().items():
            logical = "".join(part.capitalize() for part in command.split("-"))
            self.documents[command] = ssm.CfnDocument(
                self,
                logical,
                content=data["content"],
                document_type="Command",
                document_format="JSON",
                version_name=str(data["version"]),
                update_method="NewVersion",
            )

    def names(self) -> str:
        """`{command: document name}` as JSON, for DEVICE_COMMAND_DOCUMENTS."""
        return Stack.of(self).to_json_string({c: d.ref for c, d in self.documents.items()})

    def grant_run(self, function: lambda_.Function, wait_seconds: int) -> None:
        stack = Stack.of(self)
        function.add_environment(Env.DEVICE_COMMAND_DOCUMENTS, self.names())
        function.add_environment(Env.DEVICE_COMMAND_WAIT_SECONDS, str(wait_seconds))
        document_arns = [
            stack.format_arn(service="ssm", resource="document", resource_name=d.ref) for d in self.documents.values()
        ]
        function.add_to_role_policy(iam.PolicyStatement(actions=["ssm:SendCommand"], resources=document_arns))
        # Only instances that carry the customer tag: EC2 instances and hybrid managed instances.
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ssm:SendCommand"],
                resources=[
                    stack.format_arn(service="ec2", resource="instance", resource_name="*"),
                    stack.format_arn(service="ssm", resource="managed-instance", resource_name="*"),
                ],
                conditions={"StringLike": {f"ssm:resourceTag/{CUSTOMER_TAG}": "*"}},
            )
        )
        # Neither call supports resource-level permissions (Service Authorization Reference: Systems Manager).
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ssm:DescribeInstanceInformation", "ssm:GetCommandInvocation"], resources=["*"]
            )
        )


def grant_identity(function: lambda_.Function, user_pool_id: str, user_attribute: str) -> None:
    """Identity actions on the configured user pool, and on it only."""
    function.add_environment(Env.IDENTITY_USER_POOL_ID, user_pool_id)
    function.add_environment(Env.IDENTITY_USER_ATTRIBUTE, user_attribute)
    pool_arn = f"arn:{Aws.PARTITION}:cognito-idp:{Aws.REGION}:{Aws.ACCOUNT_ID}:userpool/{user_pool_id}"
    function.add_to_role_policy(iam.PolicyStatement(actions=IDENTITY_ACTIONS, resources=[pool_arn]))


def executor_environment(resolution_executor: str, overrides: str) -> dict[str, str]:
    """How Execute picks its executors (validated at synthesis by the functions' own settings)."""
    env = {Env.RESOLUTION_EXECUTOR.value: resolution_executor}
    if overrides.strip():
        env[Env.EXECUTOR_OVERRIDES.value] = json.dumps(json.loads(overrides), separators=(",", ":"))
    return env
