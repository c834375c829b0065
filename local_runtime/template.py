"""Reads what the local runtime needs from a synthesized CloudFormation template.

Intrinsic functions are resolved against the identifiers of the resources the
runtime created locally. Only the intrinsics the stack uses are supported; any
other one is an error, never silently passed through.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "Supportflow",
}


class UnresolvableIntrinsic(ValueError):
    pass


@dataclass
class Resolver:
    """Values for `Ref` (by logical id) and `Fn::GetAtt` (by logical id and attribute)."""

    refs: dict[str, str]
    attributes: dict[tuple[str, str], str]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self._lookup(self.attributes, (logical, attribute), f"{logical}.{attribute}")
            if key == "Fn::Join":
                separator, parts = arg
                return separator.join(str(self.resolve(p)) for p in parts)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key.startswith("Fn::"):
                raise UnresolvableIntrinsic(f"{key} is not supported by the local runtime")
        return {k: self.resolve(v) for k, v in value.items()}

    def _ref(self, name: str) -> str:
        if name in PSEUDO:
            return PSEUDO[name]
        return self._lookup(self.refs, name, name)

    @staticmethod
    def _lookup(table: Mapping[Any, str], key: Any, label: str) -> str:
        if key not in table:
            raise UnresolvableIntrinsic(f"no local value for {label}")
        return table[key]

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else arg
        local = {k: str(self.resolve(v)) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return local[name]
            if "." in name:
                logical, attribute = name.split(".", 1)
                return self._lookup(self.attributes, (logical, attribute), name)
            return self._ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


@dataclass(frozen=True)
class TemplateFunction:
    """An `AWS::Lambda::Function` as the template declares it (environment still unresolved)."""

    logical_id: str
    handler: str
    environment: dict[str, Any]

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.logical_id}"


def resources_of_type(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_name}


def only_resource(template: dict[str, Any], type_name: str) -> tuple[str, dict[str, Any]]:
    found = resources_of_type(template, type_name)
    if len(found) != 1:
        raise ValueError(f"expected exactly one {type_name} in the template, found {len(found)}")
    return next(iter(found.items()))


def functions(template: dict[str, Any]) -> list[TemplateFunction]:
    return [
        TemplateFunction(
            logical_id=logical_id,
            handler=resource["Properties"]["Handler"],
            environment=resource["Properties"].get("Environment", {}).get("Variables", {}),
        )
        for logical_id, resource in resources_of_type(template, "AWS::Lambda::Function").items()
    ]


def function_aliases(template: dict[str, Any]) -> dict[str, str]:
    """Each `AWS::Lambda::Alias` (SnapStart's published versions): its logical id -> its ARN, as `Ref` gives it.

    Locally every alias runs its function's one in-process handler (there is one version: the code on disk).
    """
    found = {}
    for logical_id, resource in resources_of_type(template, "AWS::Lambda::Alias").items():
        target = resource["Properties"]["FunctionName"]
        if not (isinstance(target, dict) and set(target) == {"Ref"}):
            raise UnresolvableIntrinsic(f"alias {logical_id} names its function other than by Ref: {target}")
        function = TemplateFunction(target["Ref"], "", {})
        found[logical_id] = f"{function.arn}:{resource['Properties']['Name']}"
    return found


def state_machine_definition(template: dict[str, Any], resolver: Resolver) -> tuple[str, dict[str, Any]]:
    logical_id, resource = only_resource(template, "AWS::StepFunctions::StateMachine")
    definition = resolver.resolve(resource["Properties"]["DefinitionString"])
    return logical_id, json.loads(definition)
