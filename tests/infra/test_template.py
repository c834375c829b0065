"""The synthesized template: what `cdk deploy` would create."""

from __future__ import annotations

import json
from typing import Any

from infra.bundling import LAMBDA_PYTHON_VERSION
from local_runtime.template import Resolver, functions, only_resource, resources_of_type
from tests.infra.conftest import CUSTOM_CONTEXT


def definition(template: dict[str, Any]) -> dict[str, Any]:
    refs = {k: k for k in template["Resources"]}
    attributes = {(k, "Arn"): f"arn:{k}" for k in template["Resources"]}
    _, resource = only_resource(template, "AWS::StepFunctions::StateMachine")
    return json.loads(Resolver(refs, attributes).resolve(resource["Properties"]["DefinitionString"]))


def test_the_state_machine_is_standard_and_reads_like_the_workflow(template):
    _, resource = only_resource(template, "AWS::StepFunctions::StateMachine")
    assert resource["Properties"].get("StateMachineType", "STANDARD") == "STANDARD"
    states = definition(template)["States"]
    assert definition(template)["StartAt"] == "Resumed?"
    assert states["Analyze issue"]["Next"] == "Find resolution"
    assert states["Find resolution"]["Next"] == "Approval timer"
    assert states["Approval timer"]["Next"] == "Policy decides?"
    policy = states["Policy decides?"]
    assert [c["Next"] for c in policy["Choices"]] == ["Approved by policy", "Record expiry"]
    assert policy["Default"] == "Await approval"
    assert states["Approved by policy"]["Next"] == "Approved?"
    assert states["Await approval"]["Next"] == "Approved?"
    choice = states["Approved?"]
    assert [c["Next"] for c in choice["Choices"]] == ["Begin steps", "Revise plan"]
    assert choice["Default"] == "Record rejection"
    assert states["Revise plan"]["Next"] == "Approval timer"
    # person_steps is on by default: Execute stops at a customer or engineer step and the workflow waits for
    # the person's report (a failed one, or none in time, goes back to Execute, which records it as failed).
    assert states["Begin steps"]["Next"] == "Execute resolution"
    assert states["Execute resolution"]["Next"] == "Person step?"
    person = states["Person step?"]
    assert person["Choices"] == [
        {"Variable": "$.execution.waiting_on", "StringEquals": "", "Next": "Await confirmation"}
    ]
    assert person["Default"] == "Await step report"
    report = states["Await step report"]
    assert report["Resource"].endswith(":states:::lambda:invoke.waitForTaskToken")
    assert report["TimeoutSeconds"] == 2 * 24 * 3600 and report["Next"] == "Execute resolution"
    assert [(c["ErrorEquals"], c["Next"]) for c in report["Catch"]] == [
        (["States.Timeout"], "Execute resolution"),
        (["States.ALL"], "Handle failure"),
    ]
    # customer_confirmation is on by default: the customer is asked, then the ticket closes, reopens or escalates.
    assert states["Await confirmation"]["Next"] == "Record confirmation"
    assert states["Await confirmation"]["TimeoutSeconds"] == 7 * 24 * 3600
    assert [c["Next"] for c in states["Await confirmation"]["Catch"]] == ["Record no answer", "Handle failure"]
    resolved = states["Resolved?"]
    assert [c["Next"] for c in resolved["Choices"]] == ["Analyze issue", "Escalated"]
    assert resolved["Default"] == "Closed"
    assert states["Record no answer"]["Next"] == "Closed"
    assert states["Record rejection"]["Next"] == "Rejected"
    assert states["Record expiry"]["Next"] == "Expired"
    assert states["Handle failure"]["Next"] == "Failed"
    assert {states[s]["Type"] for s in ("Closed", "Escalated", "Rejected")} == {"Succeed"}
    assert "Completed" not in states
    assert {states[s]["Type"] for s in ("Expired", "Failed")} == {"Fail"}


def test_a_resumed_execution_starts_at_the_step_its_input_names(template):
    states = definition(template)["States"]
    resumed = states["Resumed?"]
    assert resumed["Choices"] == [{"Variable": "$$.Execution.Name", "StringMatches": "*-r*", "Next": "Resume from?"}]
    assert resumed["Default"] == "Analyze issue"
    resume_from = states["Resume from?"]
    targets = {c["StringEquals"]: c["Next"] for c in resume_from["Choices"]}
    assert all(c["Variable"] == "$.resume.from" for c in resume_from["Choices"])
    assert targets == {"decision": "Approved?", "approval": "Approval timer", "resolution": "Find resolution"}
    assert resume_from["Default"] == "Analyze issue"


def test_an_email_ses_refuses_is_not_retried(template):
    for name in ("Await approval", "Execute resolution", "Record rejection", "Record expiry", "Handle failure"):
        assert "EmailRejected" in definition(template)["States"][name]["Retry"][0]["ErrorEquals"]


def test_await_approval_waits_for_a_task_token_as_long_as_the_approval_timer_says(template):
    wait = definition(template)["States"]["Await approval"]
    assert wait["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert wait["TimeoutSecondsPath"] == "$.approval_wait.seconds" and "TimeoutSeconds" not in wait
    assert wait["Parameters"]["Payload"]["task_token.$"] == "$$.Task.Token"
    assert wait["Parameters"]["Payload"]["wait.$"] == "$.approval_wait"
    assert wait["Catch"][0] == {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Approval timer"}


def test_the_approval_timeout_comes_from_context(custom_template):
    by_handler = {f.handler.split(".")[-2]: f for f in functions(custom_template)}
    timer = by_handler["approval_timer"].environment
    assert timer["APPROVAL_TIMEOUT_SECONDS"] == str(CUSTOM_CONTEXT["approval_timeout_seconds"]) == "600"


def test_every_task_retries_then_goes_to_handle_failure(template):
    states = definition(template)["States"]
    for name in (
        "Analyze issue",
        "Find resolution",
        "Await approval",
        "Execute resolution",
        "Record rejection",
        "Record expiry",
    ):
        retry = states[name]["Retry"]
        assert retry[0]["MaxAttempts"] == 0 and "PlanNotApproved" in retry[0]["ErrorEquals"]
        assert retry[-1]["ErrorEquals"] == ["States.ALL"] and retry[-1]["MaxAttempts"] == 3
        assert states[name]["Catch"][-1]["Next"] == "Handle failure"
    assert states["Handle failure"]["Catch"][0]["Next"] == "Failed"


def test_the_memory_keeps_events_for_the_configured_days(template):
    _, memory = only_resource(template, "AWS::BedrockAgentCore::Memory")
    assert memory["Properties"]["EventExpiryDuration"] == 90


def test_api_routes(template):
    resources = resources_of_type(template, "AWS::ApiGateway::Resource")
    methods = resources_of_type(template, "AWS::ApiGateway::Method")
    paths = {}
    for logical_id, resource in resources.items():
        parent = resource["Properties"]["ParentId"]
        prefix = "" if "Fn::GetAtt" in parent else paths.get(parent["Ref"], "?")
        paths[logical_id] = f"{prefix}/{resource['Properties']['PathPart']}"
    # resolve parents defined after children
    for logical_id, resource in resources.items():
        parent = resource["Properties"]["ParentId"]
        if "Ref" in parent:
            paths[logical_id] = f"{paths[parent['Ref']]}/{resource['Properties']['PathPart']}"
    routes = {(m["Properties"]["HttpMethod"], paths[m["Properties"]["ResourceId"]["Ref"]]) for m in methods.values()}
    assert routes == {
        ("POST", "/tickets"),
        ("GET", "/tickets/{ticket_id}"),
        ("POST", "/tickets/{ticket_id}/messages"),
        ("GET", "/tickets/{ticket_id}/conversation"),
        ("POST", "/tickets/{ticket_id}/resume"),
        ("GET", "/approvals/{ticket_id}"),
        ("GET", "/confirmations/{ticket_id}"),
        ("POST", "/confirmations/{ticket_id}"),
        ("GET", "/steps/{ticket_id}"),
        ("POST", "/steps/{ticket_id}"),
        ("POST", "/approvals/{ticket_id}"),
        ("GET", "/openapi.json"),
    }
    for method in methods.values():
        assert method["Properties"]["Integration"]["Type"] == "AWS_PROXY"


def test_each_function_has_its_handler_and_environment(template):
    by_handler = {f.handler: f.environment for f in functions(template)}
    assert set(by_handler) == {
        "ticketing.handlers.analyze.handler",
        "ticketing.handlers.find_resolution.handler",
        "ticketing.handlers.revise_plan.handler",
        "ticketing.handlers.approval_timer.handler",
        "ticketing.handlers.request_approval.handler",
        "ticketing.handlers.execute.handler",
        "ticketing.handlers.request_confirmation.handler",
        "ticketing.handlers.record_confirmation.handler",
        "ticketing.handlers.request_step_report.handler",
        "ticketing.handlers.close_ticket.handler",
        "ticketing.handlers.api.handler",
        "ticketing.handlers.approval_monitor.handler",
        "ticketing.handlers.webhook_sender.handler",
        "ticketing.handlers.republish_events.handler",
    }
    for env in by_handler.values():
        assert env["MEMORY_ID"] == {"Fn::GetAtt": [env["MEMORY_ID"]["Fn::GetAtt"][0], "MemoryId"]}
        assert "PUBLIC_BASE_URL" in env and env["APPROVER_EMAIL"] == "approver@example.com"
    api_env = by_handler["ticketing.handlers.api.handler"]
    assert "Ref" in api_env["STATE_MACHINE_ARN"] and "Ref" in api_env["SIGNING_SECRET_ARN"]
    assert "SIGNING_SECRET_ARN" in by_handler["ticketing.handlers.request_approval.handler"]
    assert "STATE_MACHINE_ARN" not in by_handler["ticketing.handlers.analyze.handler"]
    for resource in resources_of_type(template, "AWS::Lambda::Function").values():
        assert resource["Properties"]["Runtime"] == f"python{LAMBDA_PYTHON_VERSION}"
        assert resource["Properties"]["TracingConfig"] == {"Mode": "Active"}
