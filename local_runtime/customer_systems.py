"""The customers' systems the real executors act on, in moto: a Cognito user pool and tagged managed instances.

`CustomerSystems` is an emulation the runtime installs (`LocalRuntime(emulations=[...])`, with
`context={"resolution_executor": "catalog"}`): it creates a user pool with one user per demo
customer (the customer id in `preferred_username`, a verified email, a permanent password so
Cognito allows a reset) and one EC2 instance per customer tagged `supportflow:customer=<id>`,
and points the functions at the pool. It also answers `ssm:DescribeInstanceInformation`, which
moto does not implement, from moto's EC2 instances, as AWS answers it from managed instances
(every tagged instance counts as online; moto has no SSM agent).

What moto does not emulate (README, "Executors"): Run Command runs nothing and reports
`Success` at once with empty output; Cognito sends no reset email.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS

from ticketing.contract import Env
from ticketing.domain.execution import CUSTOMER_TAG

from .template import REGION, resources_of_type

POOL_NAME = "supportflow-local-customers"
LOCAL_AMI = "ami-12c6146b"  # one of the images moto knows


@dataclass(frozen=True)
class Customer:
    customer_id: str
    email: str
    instances: int = 1


def create_command_documents(template: dict[str, Any]) -> dict[str, str]:
    """The stack's command documents created in moto; their names by logical id (for `Ref`)."""
    ssm = boto3.client("ssm", region_name=REGION)
    names = {}
    for logical_id, resource in resources_of_type(template, "AWS::SSM::Document").items():
        name = f"supportflow-local-{logical_id}"
        properties = resource["Properties"]
        ssm.create_document(
            Name=name,
            Content=_json(properties["Content"]),
            DocumentType=properties["DocumentType"],
            DocumentFormat="JSON",
            VersionName=properties.get("VersionName", "1"),
        )
        names[logical_id] = name
    return names


class CustomerSystems:
    """The demo customers' Cognito users and tagged instances; installed once moto's mock is active."""

    def __init__(self, customers: list[Customer]) -> None:
        self.customers = customers
        self.user_pool_id = ""
        self.instances: dict[str, list[str]] = {}
        self._saved: dict[str, str | None] = {}
        self._hooks = [
            ("before-parameter-build.ssm.DescribeInstanceInformation", _stash_params),
            ("before-call.ssm.DescribeInstanceInformation", self._describe_instance_information),
        ]
        self._live = False

    def install(self) -> bool:
        cognito = boto3.client("cognito-idp", region_name=REGION)
        self.user_pool_id = cognito.create_user_pool(PoolName=POOL_NAME)["UserPool"]["Id"]
        ec2 = boto3.client("ec2", region_name=REGION)
        for customer in self.customers:
            attributes = [
                {"Name": "preferred_username", "Value": customer.customer_id},
                {"Name": "email", "Value": customer.email},
                {"Name": "email_verified", "Value": "true"},
            ]
            cognito.admin_create_user(
                UserPoolId=self.user_pool_id, Username=customer.customer_id, UserAttributes=attributes
            )
            cognito.admin_set_user_password(
                UserPoolId=self.user_pool_id, Username=customer.customer_id, Password="Local-Demo-1!", Permanent=True
            )
            if customer.instances:
                tags = [{"ResourceType": "instance", "Tags": [{"Key": CUSTOMER_TAG, "Value": customer.customer_id}]}]
                started = ec2.run_instances(
                    ImageId=LOCAL_AMI, MinCount=customer.instances, MaxCount=customer.instances, TagSpecifications=tags
                )
                self.instances[customer.customer_id] = [i["InstanceId"] for i in started["Instances"]]
        for key, value in {Env.IDENTITY_USER_POOL_ID.value: self.user_pool_id}.items():
            self._saved[key] = os.environ.get(key)
            os.environ[key] = value
        BUILTIN_HANDLERS.extend(self._hooks)
        self._live = True
        return True

    def uninstall(self) -> None:
        self._live = False  # sessions that still hold the hook go on to moto (which answers "not implemented")
        BUILTIN_HANDLERS[:] = [h for h in BUILTIN_HANDLERS if not any(h is mine for mine in self._hooks)]
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved.clear()

    def user_status(self, customer_id: str) -> str:
        cognito = boto3.client("cognito-idp", region_name=REGION)
        return str(cognito.admin_get_user(UserPoolId=self.user_pool_id, Username=customer_id)["UserStatus"])

    def _describe_instance_information(self, context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        """AWS's answer for the tag filters the device executor sends, from moto's EC2 instances."""
        if not self._live:
            return None
        params = context.get("local_params", {})
        filters = [
            {"Name": f["Key"], "Values": f["Values"]} for f in params.get("Filters", []) if f["Key"].startswith("tag:")
        ]
        found = boto3.client("ec2", region_name=REGION).describe_instances(Filters=filters)
        listed = [
            {
                "InstanceId": i["InstanceId"],
                "PingStatus": "Online",
                "PlatformType": "Linux",
                "ResourceType": "EC2Instance",
            }
            for r in found["Reservations"]
            for i in r["Instances"]
            if i["State"]["Name"] == "running"
        ]
        return AWSResponse("local://", 200, {}, None), {
            "InstanceInformationList": listed,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }


def _stash_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["local_params"] = dict(params)


def _json(value: Any) -> str:
    return json.dumps(value)
