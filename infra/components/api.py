"""The public HTTP API: ticket submission and status, approval pages."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

STAGE = "prod"


@dataclass(frozen=True)
class Route:
    """One API Gateway method. `client` routes need the API key; approval routes trust the signed link."""

    path: str
    method: str
    client: bool


ROUTES = (
    Route("/tickets", "POST", client=True),
    Route("/tickets/{ticket_id}", "GET", client=True),
    Route("/approvals/{ticket_id}", "GET", client=False),
    Route("/approvals/{ticket_id}", "POST", client=False),
    Route("/openapi.json", "GET", client=False),
)


class TicketApi(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name="supportflow",
            description="supportflow: submit tickets, read their status, approve resolutions",
            deploy_options=apigw.StageOptions(stage_name=STAGE),
        )

    def route_to(self, function: lambda_.IFunction) -> None:
        """Send every route in ROUTES to the API function (one Lambda proxy integration)."""
        integration = apigw.LambdaIntegration(function)
        for route in ROUTES:
            resource = self.rest_api.root.resource_for_path(route.path)
            resource.add_method(route.method, integration)
