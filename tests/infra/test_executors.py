"""The executors' infrastructure: one versioned command document per device action, the settings reaching Execute."""

from __future__ import annotations

import json

from infra.components.executors import command_documents
from local_runtime.template import functions, resources_of_type
from ticketing.contract import Env
from ticketing.domain.catalog import load_catalog
from ticketing.domain.execution import ExecutorKind


def execute_environment(template):
    (execute,) = [f for f in functions(template) if f.logical_id.startswith("ExecuteFunction")]
    return execute.environment


def test_every_device_action_names_a_command_document_the_repository_defines():
    declared = {h.command for h in load_catalog().executors().values() if h.kind is ExecutorKind.DEVICE}
    assert declared and declared <= set(command_documents())


def test_each_command_document_is_deployed_as_a_versioned_command_from_its_file(template):
    deployed = resources_of_type(template, "AWS::SSM::Document")
    files = command_documents()
    assert len(deployed) == len(files)
    by_content = {json.dumps(d["Properties"]["Content"], sort_keys=True): d["Properties"] for d in deployed.values()}
    for data in files.values():
        properties = by_content[json.dumps(data["content"], sort_keys=True)]
        assert properties["DocumentType"] == "Command" and properties["UpdateMethod"] == "NewVersion"
        assert properties["VersionName"] == data["version"]


def test_execute_gets_the_catalog_executors_and_every_document_by_command(template):
    env = execute_environment(template)
    assert env[Env.RESOLUTION_EXECUTOR] == "catalog"
    assert Env.IDENTITY_USER_POOL_ID not in env and Env.EXECUTOR_OVERRIDES not in env
    joined = json.dumps(env[Env.DEVICE_COMMAND_DOCUMENTS])
    assert all(f'\\"{command}\\":' in joined for command in command_documents())


def test_configured_executor_settings_reach_execute(custom_template):
    env = execute_environment(custom_template)
    assert env[Env.IDENTITY_USER_POOL_ID] == "us-east-1_Example1"
    assert env[Env.IDENTITY_USER_ATTRIBUTE] == "email"
    assert json.loads(env[Env.EXECUTOR_OVERRIDES]) == {"network.reset-adapter": "simulated"}
    assert env[Env.DEVICE_COMMAND_WAIT_SECONDS] == "45"


def test_a_bad_executor_setting_stops_synthesis_naming_it():
    import pytest

    from infra.app import build_app

    with pytest.raises(ValueError, match="IDENTITY_USER_ATTRIBUTE"):
        build_app({"bundling": "off", "identity_user_attribute": "custom:customer"})
