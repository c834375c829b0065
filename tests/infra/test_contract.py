"""The synthesized template keeps the contract the functions rely on (`ticketing.contract`).

A function the stack leaves without a variable it needs stops at init; a Retry that
names an error by a stale class name retries what cannot heal. Both are caught here,
before a deploy.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_runtime.template import Resolver, functions, only_resource
from ticketing.contract import NON_RETRYABLE_ERRORS, NON_RETRYABLE_EXCEPTIONS, REQUIRED_ENV, Env
from ticketing.settings import Settings

pytestmark = pytest.mark.slow

# Powertools reads these itself; they are its names, not ours.
POWERTOOLS_PREFIX = "POWERTOOLS_"


def handler_module(handler: str) -> str:
    return handler.rsplit(".", 1)[0]


def task_states(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    _, resource = only_resource(template, "AWS::StepFunctions::StateMachine")
    refs = {k: k for k in template["Resources"]}
    attributes = {(k, "Arn"): f"arn:{k}" for k in template["Resources"]}
    definition = json.loads(Resolver(refs, attributes).resolve(resource["Properties"]["DefinitionString"]))
    return {name: state for name, state in definition["States"].items() if state["Type"] == "Task"}


def test_every_deployed_handler_declares_what_it_needs_and_nothing_else_does(template):
    deployed = {handler_module(f.handler) for f in functions(template)}
    assert deployed == set(REQUIRED_ENV)


def test_every_function_gets_each_variable_its_handler_requires(template):
    for function in functions(template):
        required = REQUIRED_ENV[handler_module(function.handler)]
        missing = {name.value for name in required} - set(function.environment)
        assert not missing, f"{function.logical_id} would stop at init: it lacks {sorted(missing)}"
        blank = {name.value for name in required if function.environment[name.value] in ("", None)}
        assert not blank, f"{function.logical_id} sets {sorted(blank)} empty"


def test_every_variable_the_stack_sets_is_a_contract_name(template):
    for function in functions(template):
        ours = {name for name in function.environment if not name.startswith(POWERTOOLS_PREFIX)}
        unknown = ours - {name.value for name in Env}
        assert not unknown, f"{function.logical_id} sets {sorted(unknown)}, which no function reads"


def test_every_contract_name_is_read_by_the_settings():
    read = {field.validation_alias for field in Settings.model_fields.values()}
    assert {name.value for name in Env} <= read


def test_each_task_sends_exactly_the_non_retryable_errors_straight_to_its_catch(template):
    tasks = task_states(template)
    assert tasks, "the state machine has Lambda tasks"
    for name, state in tasks.items():
        not_retried = [retry["ErrorEquals"] for retry in state["Retry"] if retry["MaxAttempts"] == 0]
        assert not_retried == [["States.Timeout", *NON_RETRYABLE_ERRORS]], name


def test_each_non_retryable_error_is_the_name_lambda_reports_for_one_of_the_exceptions():
    # Lambda's Python runtime reports an uncaught exception as `errorType` = its class's __name__.
    names = {exception.__name__ for exception in NON_RETRYABLE_EXCEPTIONS}
    assert len(NON_RETRYABLE_ERRORS) == len(names), "two classes share a name; the Retry cannot tell them apart"
