"""Lambda SnapStart in the template: on where a person waits on a cold start, callers invoke the published alias.

Synthesis runs cdk-nag and raises on any unacknowledged finding, so each context here is also nag-clean.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.components.functions import LIVE_ALIAS
from local_runtime.template import resources_of_type

from .conftest import state_machine_definition

Template = dict[str, Any]


def _snap_started(template: Template) -> set[str]:
    return {
        logical_id
        for logical_id, fn in resources_of_type(template, "AWS::Lambda::Function").items()
        if fn["Properties"].get("SnapStart") == {"ApplyOn": "PublishedVersions"}
    }


def _handler_module(template: Template, logical_id: str) -> str:
    return str(template["Resources"][logical_id]["Properties"]["Handler"]).split(".")[2]


def _aliases(template: Template) -> dict[str, str]:
    """Alias logical id -> the function logical id it points at, checked to point at a version of that function."""
    found = {}
    versions = resources_of_type(template, "AWS::Lambda::Version")
    for logical_id, alias in resources_of_type(template, "AWS::Lambda::Alias").items():
        props = alias["Properties"]
        function = props["FunctionName"]["Ref"]
        version = props["FunctionVersion"]["Fn::GetAtt"][0]
        assert versions[version]["Properties"]["FunctionName"] == {"Ref": function}
        assert props["Name"] == LIVE_ALIAS
        found[logical_id] = function
    return found


def _invoked(template: Template) -> set[str]:
    """The logical id each Lambda task of the state machine invokes (a function's, or an alias's)."""
    definition = state_machine_definition(template)  # a Ref resolves to the logical id
    arn_prefix = "arn:aws:lambda:us-east-1:123456789012:function:"
    names = set()
    for state in definition["States"].values():
        if state.get("Type") != "Task":
            continue
        resource = str(state["Resource"])
        name = str(state["Parameters"]["FunctionName"]) if "lambda:invoke" in resource else resource
        names.add(name.removeprefix(arn_prefix))
    return names


def test_by_default_only_the_api_function_has_snapstart_and_api_gateway_invokes_its_alias(template):
    snap_started = _snap_started(template)
    assert [_handler_module(template, f) for f in snap_started] == ["api"]
    aliases = _aliases(template)
    assert set(aliases.values()) == snap_started
    (alias,) = aliases
    uris = [
        str(m["Properties"]["Integration"]["Uri"])
        for m in resources_of_type(template, "AWS::ApiGateway::Method").values()
        if "Integration" in m["Properties"]
    ]
    assert uris and all(alias in uri for uri in uris)
    # API Gateway may invoke the alias (a permission per route names it).
    permitted = {
        str(p["Properties"]["FunctionName"]) for p in resources_of_type(template, "AWS::Lambda::Permission").values()
    }
    assert any(alias in p for p in permitted)


def test_with_snapstart_everywhere_the_state_machine_invokes_each_steps_alias(template_for):
    template = template_for({"snap_start": "all"})
    functions = resources_of_type(template, "AWS::Lambda::Function")
    assert _snap_started(template) == set(functions)
    aliases = _aliases(template)
    assert set(aliases.values()) == set(functions)
    steps = set(functions) - {f for f in functions if _handler_module(template, f) in ("api", "approval_monitor")}
    queue_fed = {f for f in functions if _handler_module(template, f) in ("webhook_sender", "republish_events")}
    assert _invoked(template) == {alias for alias, function in aliases.items() if function in steps - queue_fed}
    mappings = resources_of_type(template, "AWS::Lambda::EventSourceMapping").values()
    mapped = [json.dumps(m["Properties"]["FunctionName"]) for m in mappings]
    assert len(mapped) == len(queue_fed) == 2
    for alias, function in aliases.items():  # each queue-fed function is invoked through its live alias
        if function in queue_fed:
            assert sum(f'"Ref": "{alias}"' in name and ":live" in name for name in mapped) == 1


def test_snapstart_can_be_off_everywhere(template_for):
    template = template_for({"snap_start": "none"})
    assert _snap_started(template) == set()
    assert resources_of_type(template, "AWS::Lambda::Alias") == {}
    invoked = _invoked(template)
    assert invoked and invoked <= set(resources_of_type(template, "AWS::Lambda::Function"))


def test_an_unknown_snapstart_choice_stops_synthesis(template_for):
    with pytest.raises(ValueError, match="snap_start"):
        template_for({"snap_start": "sometimes"})
