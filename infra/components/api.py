"""The public HTTP API: ticket submission and status, approval pages.

Two kinds of route (see ROUTES):
- client routes (a support portal's backend submits tickets and reads them) need
  IAM (SigV4) authorization: callers are AWS principals granted the client policy,
  so no long-lived secret travels in a header and each call is attributable in
  CloudTrail. API keys are for quotas, not authorization, so they are not used.
- approval routes are opened from an email; the HMAC-signed, expiring link is
  their only credential, checked by the API function.

API Gateway validates what it can before Lambda runs (the ticket body against a
schema generated from the pydantic model, the approval link's token parameter),
throttles the stage, writes JSON access logs and traces requests with X-Ray.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from ticketing.api.contract import MessageBody, TicketBody

STAGE = "prod"


@dataclass(frozen=True)
class Route:
    """One API Gateway method. `client` routes need IAM auth; approval routes trust the signed link."""

    path: str
    method: str
    client: bool
    body: type[Any] | None = None  # a pydantic model API Gateway validates the JSON body against
    query: tuple[str, ...] = ()  # query string parameters API Gateway requires


ROUTES = (
    Route("/tickets", "POST", client=True, body=TicketBody),
    Route("/tickets/{ticket_id}", "GET", client=True),
    Route("/tickets/{ticket_id}/messages", "POST", client=True, body=MessageBody),
    Route("/tickets/{ticket_id}/conversation", "GET", client=True),
    Route("/tickets/{ticket_id}/resume", "POST", client=True),
    Route("/approvals/{ticket_id}", "GET", client=False, query=("token",)),
    Route("/approvals/{ticket_id}", "POST", client=False),
    # The customer's "Is your issue resolved?" link: the signed token is its credential, as for approvals.
    Route("/confirmations/{ticket_id}", "GET", client=False, query=("token",)),
    Route("/confirmations/{ticket_id}", "POST", client=False),
    Route("/steps/{ticket_id}", "GET", client=False, query=("token",)),
    Route("/steps/{ticket_id}", "POST", client=False),
    Route("/openapi.json", "GET", client=False),
)

_SCHEMA_TYPES = {
    "string": apigw.JsonSchemaType.STRING,
    "object": apigw.JsonSchemaType.OBJECT,
    "integer": apigw.JsonSchemaType.INTEGER,
    "number": apigw.JsonSchemaType.NUMBER,
    "boolean": apigw.JsonSchemaType.BOOLEAN,
    "array": apigw.JsonSchemaType.ARRAY,
}
_SCHEMA_KEYS = {
    "pattern": "pattern",
    "maxLength": "max_length",
    "minLength": "min_length",
    "maximum": "maximum",
    "minimum": "minimum",
    "enum": "enum",
    "required": "required",
    "description": "description",
    "additionalProperties": "additional_properties",
}
_IGNORED_KEYS = {"title", "default"}


def json_schema(schema: dict[str, Any], definitions: dict[str, Any] | None = None) -> apigw.JsonSchema:
    """API Gateway's (draft-04) schema for a pydantic JSON schema. Raises on what it cannot express.

    References to `$defs` are inlined, and an optional object (`anyOf` of it and null) becomes the
    object or null.
    """
    definitions = {**(definitions or {}), **schema.get("$defs", {})}
    schema = _inlined(schema, definitions)
    nullable = False
    if set(schema.get("anyOf", [{}])[-1:][0].items()) == {("type", "null")} and len(schema["anyOf"]) == 2:
        nullable = True
        schema = {**_inlined(schema["anyOf"][0], definitions), **{k: v for k, v in schema.items() if k != "anyOf"}}
    unknown = set(schema) - set(_SCHEMA_KEYS) - _IGNORED_KEYS - {"type", "properties", "items", "$defs"}
    if unknown:
        raise ValueError(f"cannot express {sorted(unknown)} in an API Gateway model")
    options: dict[str, Any] = {_SCHEMA_KEYS[k]: v for k, v in schema.items() if k in _SCHEMA_KEYS}
    if "type" in schema:
        kind = _SCHEMA_TYPES[schema["type"]]
        options["type"] = [kind, apigw.JsonSchemaType.NULL] if nullable else kind
    if "properties" in schema:
        options["properties"] = {name: json_schema(prop, definitions) for name, prop in schema["properties"].items()}
    if "items" in schema:
        options["items"] = json_schema(schema["items"], definitions)
    return apigw.JsonSchema(schema=apigw.JsonSchemaVersion.DRAFT4, **options)


def _inlined(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """`schema` with a `$ref` to `#/$defs/<name>` replaced by the definition (its siblings kept)."""
    reference = schema.get("$ref")
    if reference is None:
        return schema
    name = reference.removeprefix("#/$defs/")
    if name not in definitions:
        raise ValueError(f"cannot resolve {reference} in an API Gateway model")
    return {**definitions[name], **{k: v for k, v in schema.items() if k != "$ref"}}


class TicketApi(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, rate_limit: int, burst_limit: int) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.ONE_MONTH)
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name="supportflow",
            description="supportflow: submit tickets, read their status, approve resolutions",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # API Gateway needs an account-level role to write execution logs.
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE,
                tracing_enabled=True,
                throttling_rate_limit=rate_limit,
                throttling_burst_limit=burst_limit,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                # Errors only, and never request or response bodies: they hold customer text and tokens.
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
            ),
        )
        self.validator = apigw.RequestValidator(
            self,
            "Validator",
            rest_api=self.rest_api,
            validate_request_body=True,
            validate_request_parameters=True,
        )
        # API Gateway's own 400s use the same shape as the function's errors.
        for response_type, code in (
            (apigw.ResponseType.BAD_REQUEST_BODY, "invalid_body"),
            (apigw.ResponseType.BAD_REQUEST_PARAMETERS, "invalid_request"),
        ):
            self.rest_api.add_gateway_response(
                f"{code}Response",
                type=response_type,
                templates={
                    "application/json": ('{"error": "' + code + '", "message": "$context.error.validationErrorString"}')
                },
            )
        self.client_policy = iam.ManagedPolicy(
            self,
            "ClientPolicy",
            description="Lets a support portal submit and read supportflow tickets (attach to its role)",
        )

    def route_to(self, function: lambda_.IFunction) -> None:
        """Send every route in ROUTES to the API function (one Lambda proxy integration)."""
        integration = apigw.LambdaIntegration(function)
        for route in ROUTES:
            resource = self.rest_api.root.resource_for_path(route.path)
            models = {}
            if route.body is not None:
                model = self.rest_api.add_model(
                    route.body.__name__,
                    model_name=route.body.__name__,
                    content_type="application/json",
                    schema=json_schema(route.body.model_json_schema()),
                )
                models = {"application/json": model}
            resource.add_method(
                route.method,
                integration,
                authorization_type=apigw.AuthorizationType.IAM if route.client else apigw.AuthorizationType.NONE,
                request_validator=self.validator,
                request_models=models or None,
                request_parameters={f"method.request.querystring.{name}": True for name in route.query} or None,
            )
            if route.client:
                self.client_policy.add_statements(
                    iam.PolicyStatement(
                        actions=["execute-api:Invoke"],
                        resources=[self.rest_api.arn_for_execute_api(route.method, route.path, STAGE)],
                    )
                )
