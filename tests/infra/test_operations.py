"""What an operator gets from the template: API protection, logs, traces, alarms, outputs, configuration."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from aws_cdk import aws_apigateway as apigw
from pydantic import ValidationError

from infra.components.api import ROUTES, json_schema
from local_runtime.template import only_resource, resources_of_type
from tests.infra.conftest import CUSTOM_CONTEXT
from ticketing.api.contract import MessageBody, TicketBody


def method_paths(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    resources = resources_of_type(template, "AWS::ApiGateway::Resource")

    def path(logical_id: str) -> str:
        props = resources[logical_id]["Properties"]
        parent = props["ParentId"]
        prefix = path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{props['PathPart']}"

    return {
        (m["Properties"]["HttpMethod"], path(m["Properties"]["ResourceId"]["Ref"])): m["Properties"]
        for m in resources_of_type(template, "AWS::ApiGateway::Method").values()
    }


def test_client_routes_need_iam_and_approval_routes_only_the_signed_link(template):
    methods = method_paths(template)
    assert set(methods) == {(r.method, r.path) for r in ROUTES}
    for route in ROUTES:
        expected = "AWS_IAM" if route.client else "NONE"
        assert methods[(route.method, route.path)]["AuthorizationType"] == expected, route


def test_the_client_policy_grants_invoke_on_exactly_the_client_routes(template):
    (policy,) = resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
    granted = set()
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        assert statement["Action"] == "execute-api:Invoke"
        granted.add(statement["Resource"]["Fn::Join"][1][-1])
    assert granted == {f"/prod/{r.method}{r.path}" for r in ROUTES if r.client}


def test_api_gateway_validates_the_ticket_body_and_the_link_token(template):
    methods = method_paths(template)
    (validator,) = resources_of_type(template, "AWS::ApiGateway::RequestValidator").values()
    assert validator["Properties"]["ValidateRequestBody"] and validator["Properties"]["ValidateRequestParameters"]
    for props in methods.values():
        assert "RequestValidatorId" in props
    models = {
        m["Properties"]["Name"]: m["Properties"] for m in resources_of_type(template, "AWS::ApiGateway::Model").values()
    }
    assert set(models) == {"TicketBody", "MessageBody"}
    assert models["MessageBody"]["Schema"]["properties"]["text"]["maxLength"] == 2000
    schema = models["TicketBody"]["Schema"]
    assert schema["required"] == ["customer_id", "customer_email", "description"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["description"]["maxLength"] == 5000
    assert methods[("GET", "/approvals/{ticket_id}")]["RequestParameters"] == {"method.request.querystring.token": True}


def test_the_gateway_model_follows_the_pydantic_model():
    schema = json_schema(TicketBody.model_json_schema())
    assert schema.required == ["customer_id", "customer_email", "description"]
    assert schema.properties is not None and set(schema.properties) == set(TicketBody.model_fields)


def test_a_schema_the_gateway_cannot_express_is_refused():
    with pytest.raises(ValueError, match="anyOf"):
        json_schema({"anyOf": [{"type": "string"}, {"type": "integer"}]})
    with pytest.raises(ValueError, match="cannot resolve"):
        json_schema({"$ref": "#/$defs/Missing"})


def test_an_optional_object_is_inlined_and_may_be_null():
    schema = {
        "$defs": {"Ref": {"type": "object", "properties": {"id": {"type": "string", "maxLength": 9}}}},
        "type": "object",
        "properties": {"ref": {"anyOf": [{"$ref": "#/$defs/Ref"}, {"type": "null"}], "default": None}},
    }
    rendered = json_schema(schema)._values["properties"]["ref"]._values
    assert rendered["type"] == [apigw.JsonSchemaType.OBJECT, apigw.JsonSchemaType.NULL]
    assert rendered["properties"]["id"]._values["max_length"] == 9


def test_the_ticket_body_model_carries_the_external_reference(template):
    (model,) = [
        m["Properties"]["Schema"]
        for m in resources_of_type(template, "AWS::ApiGateway::Model").values()
        if m["Properties"]["Name"] == "TicketBody"
    ]
    ref = model["properties"]["external_ref"]
    assert ref["type"] == ["object", "null"] and ref["additionalProperties"] is False
    assert set(ref["required"]) == {"system", "id", "url"}


def test_the_stage_throttles_traces_and_writes_access_logs_without_bodies(template):
    (stage,) = resources_of_type(template, "AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["TracingEnabled"] is True
    assert "DestinationArn" in props["AccessLogSetting"] and "$context.requestId" in props["AccessLogSetting"]["Format"]
    (method_settings,) = props["MethodSettings"]
    assert method_settings["ThrottlingRateLimit"] == 20 and method_settings["ThrottlingBurstLimit"] == 40
    assert method_settings["LoggingLevel"] == "ERROR" and method_settings["DataTraceEnabled"] is False


def test_gateway_validation_errors_have_the_api_error_shape(template):
    responses = resources_of_type(template, "AWS::ApiGateway::GatewayResponse").values()
    by_type = {r["Properties"]["ResponseType"]: r["Properties"]["ResponseTemplates"] for r in responses}
    assert set(by_type) == {"BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS"}
    for templates in by_type.values():
        assert templates["application/json"].startswith('{"error": "')


def test_the_state_machine_logs_every_event_without_execution_data_and_is_traced(template):
    _, machine = only_resource(template, "AWS::StepFunctions::StateMachine")
    logging = machine["Properties"]["LoggingConfiguration"]
    assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is False
    assert machine["Properties"]["TracingConfiguration"] == {"Enabled": True}


def test_execution_data_is_logged_only_when_configured(custom_template):
    assert CUSTOM_CONTEXT["log_execution_data"] == "true"
    _, machine = only_resource(custom_template, "AWS::StepFunctions::StateMachine")
    assert machine["Properties"]["LoggingConfiguration"]["IncludeExecutionData"] is True


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        a["Properties"]["MetricName"]: a["Properties"]
        for a in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    }


def test_alarms_on_failed_and_timed_out_executions_waiting_tickets_and_api_errors(template):
    found = alarms(template)
    assert set(found) == {
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "OldestOpenTicketAgeSeconds",
        "5XXError",
        "EventsNotPublished",
        "ApproximateNumberOfMessagesVisible",
    }
    assert found["5XXError"]["Namespace"] == "AWS/ApiGateway"
    (topic,) = resources_of_type(template, "AWS::SNS::Topic")
    for alarm in found.values():
        assert alarm["AlarmActions"] == [{"Ref": topic}]
    assert found["OldestOpenTicketAgeSeconds"]["Threshold"] == 24 * 3600
    assert found["OldestOpenTicketAgeSeconds"]["Namespace"] == "Supportflow"
    (subscription,) = resources_of_type(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Endpoint"] == "operations@example.com"


def test_the_waiting_age_comes_from_context_and_the_monitor_runs_on_a_schedule(custom_template):
    threshold = alarms(custom_template)["OldestOpenTicketAgeSeconds"]["Threshold"]
    assert threshold == CUSTOM_CONTEXT["approval_alarm_age_seconds"] == 3600
    (rule,) = [r for r in resources_of_type(custom_template, "AWS::Events::Rule").values() if "Schedule" in str(r)]
    assert rule["Properties"]["ScheduleExpression"] == "rate(5 minutes)"
    assert "ApprovalMonitorFunction" in json.dumps(rule["Properties"]["Targets"])


def test_outputs_give_the_api_url_the_state_machine_and_a_console_link(template):
    outputs = template["Outputs"]
    assert {"ApiUrl", "StateMachineArn", "StateMachineConsole", "ClientPolicyArn", "AlarmTopicArn"} <= set(outputs)
    console = json.dumps(outputs["StateMachineConsole"]["Value"])
    assert "console.aws.amazon.com/states/home" in console


def test_model_functions_get_the_model_id_and_the_others_do_not(template):
    from local_runtime.template import functions

    model_id = {f.handler.split(".")[2]: f.environment.get("MODEL_ID") for f in functions(template)}
    assert model_id == {
        "analyze": "us.anthropic.claude-sonnet-4-6",
        "find_resolution": "us.anthropic.claude-sonnet-4-6",
        "revise_plan": "us.anthropic.claude-sonnet-4-6",
        "approval_timer": None,
        "api": "us.anthropic.claude-sonnet-4-6",
        "request_approval": None,
        "execute": None,
        "request_confirmation": None,
        "record_confirmation": None,
        "request_step_report": None,
        "close_ticket": None,
        "approval_monitor": None,
        "webhook_sender": None,
        "republish_events": None,
    }


def _gateway_model(template: dict[str, Any], name: str) -> dict[str, Any]:
    for model in resources_of_type(template, "AWS::ApiGateway::Model").values():
        if model["Properties"]["Name"] == name:
            return model["Properties"]["Schema"]
    raise AssertionError(f"no model {name}")


VALID_TICKET = {"customer_id": "cust-1", "customer_email": "jo@example.com", "description": "VPN drops."}
TICKET_BODIES = [
    VALID_TICKET,
    {**VALID_TICKET, "subject": 'Émoji 🚀 and "quotes"'},
    {**VALID_TICKET, "description": "x" * 5000},
    {**VALID_TICKET, "description": "x" * 5000 + "\n"},
    {**VALID_TICKET, "description": ""},
    {**VALID_TICKET, "customer_email": "not an email"},
    {**VALID_TICKET, "customer_id": "a b"},
    {**VALID_TICKET, "priority": "high"},
    {k: v for k, v in VALID_TICKET.items() if k != "description"},
]
MESSAGE_BODIES = [{"text": "Where are we?"}, {"text": "x" * 2000}, {"text": "x" * 2000 + "\n"}, {"text": ""}, {}]


@pytest.mark.parametrize(
    ("model", "body"), [(TicketBody, b) for b in TICKET_BODIES] + [(MessageBody, b) for b in MESSAGE_BODIES]
)
def test_api_gateway_and_the_function_agree_on_which_bodies_are_valid(template, model, body):
    """API Gateway's draft-04 model never refuses a body the function accepts (it would be unreachable)."""
    gateway = jsonschema.Draft4Validator(_gateway_model(template, model.__name__)).is_valid(body)
    try:
        model.model_validate(body)
        function = True
    except ValidationError:
        function = False
    # The gateway may be less strict (whitespace-only text reaches the function's clearer message), never stricter.
    assert gateway or not function, body
